using System.Diagnostics;
using NeuralTrade.Events.MarketData;
using NeuralTrade.Events.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace NeuralTrade.Events.Benchmarks;

public sealed record TrainingFigure(string Scenario, int Epochs, long Samples, double Seconds)
{
    public double SamplesPerSecond => Samples / Seconds;
}

public sealed record MemoryFigure(long ResidentAfterFirstEpoch, long ResidentAtEnd, long PeakResident)
{
    public double GrowthAfterFirstEpoch => (double)(ResidentAtEnd - ResidentAfterFirstEpoch) / ResidentAfterFirstEpoch;
}

/// <summary>
/// Training samples/s of the worker's loop (<see cref="SignalTrainer.Train"/>: shuffling, windowing and scaling each
/// batch from the feature matrix, class-weighted loss, AdamW, gradient clipping, cosine schedule, validation pass and
/// best-checkpoint copy every epoch) against a bare TorchSharp loop over the same model, data and batch size whose
/// scaled windows are already one tensor (index, forward, backward, step: nothing else). Both on the same device,
/// same thread count, in the same process, alternated so that drift of a shared machine hits both.
/// </summary>
public sealed class TrainingThroughput(int candles, int epochs, int rounds, Hyperparameters hp)
{
    public (TrainingFigure Bare, TrainingFigure Worker, MemoryFigure Memory) Run(Action<string> log)
    {
        var device = TorchDevices.Best();
        var market = new MarketSimulator(new SimulatedMarket { Seed = 11 }).Generate(candles).ToList();
        var data = SignalDataset.Build(market, hp.WindowSize, hp.Labels);
        var split = data.Split(hp.TrainFraction, hp.ValidationFraction);
        var fixedEpochs = hp with { Epochs = epochs, Patience = int.MaxValue };
        log($"{data.Samples.Count:N0} samples ({split.Train.Count:N0} train, {split.Validation.Count:N0} validation), window {hp.WindowSize}, "
            + $"hidden {hp.HiddenSize}×{hp.NumLayers}, batch {hp.BatchSize}, {epochs} epochs, device {device.type}, torch threads {get_num_threads()}");

        // Warm-up: JIT, libtorch kernels and allocator, for both paths.
        using (SignalTrainer.Train(data, split, fixedEpochs with { Epochs = 1 }, device)) { }
        Bare(data, split, fixedEpochs with { Epochs = 1 }, device);

        TrainingFigure? bestBare = null, bestWorker = null;
        MemoryFigure? memory = null;
        for (var round = 1; round <= rounds; round++)
        {
            var bare = Bare(data, split, fixedEpochs, device);
            log($"round {round}: bare {bare.SamplesPerSecond:N0} samples/s");
            var (worker, mem) = Worker(data, split, fixedEpochs, device);
            log($"round {round}: worker loop {worker.SamplesPerSecond:N0} samples/s, resident {mem.ResidentAtEnd / 1048576.0:N0} MiB");
            bestBare = bestBare is null || bare.SamplesPerSecond > bestBare.SamplesPerSecond ? bare : bestBare;
            bestWorker = bestWorker is null || worker.SamplesPerSecond > bestWorker.SamplesPerSecond ? worker : bestWorker;
            memory = mem;
        }

        return (bestBare!, bestWorker!, memory!);
    }

    static (TrainingFigure, MemoryFigure) Worker(SignalDataset data, DataSplit split, Hyperparameters hp, Device device)
    {
        long afterFirst = 0, peak = 0;
        var watch = Stopwatch.StartNew();
        using var trained = SignalTrainer.Train(data, split, hp, device, progress: p =>
        {
            var resident = Resident();
            peak = Math.Max(peak, resident);
            if (p.Epoch == 1)
                afterFirst = resident;
        });
        watch.Stop();
        var seen = trained.History[^1].SamplesSeen;
        return (new TrainingFigure("worker loop (SignalTrainer)", hp.Epochs, seen, watch.Elapsed.TotalSeconds),
            new MemoryFigure(afterFirst, Resident(), peak));
    }

    /// <summary>The bound: the same model and optimiser fed from one pre-built tensor of scaled windows.</summary>
    static TrainingFigure Bare(SignalDataset data, DataSplit split, Hyperparameters hp, Device device)
    {
        random.manual_seed(hp.Seed);
        var scaler = data.FitScaler(split.Train);
        var n = split.Train.Count;
        var per = data.Window * data.Features.Columns;
        var windows = new float[n * per];
        data.CopyWindows(split.Train, scaler, windows);
        using var x = tensor(windows, [n, data.Window, data.Features.Columns]).to(device);
        using var y = tensor(split.Train.Select(s => (long)s.Label).ToArray()).to(device);
        using var model = new SignalPredictor(data.Features.Columns, hp.HiddenSize, hp.NumLayers, hp.Dropout).to(device);
        using var optimizer = optim.AdamW(model.parameters(), hp.LearningRate, weight_decay: hp.WeightDecay);
        using var loss = nn.CrossEntropyLoss();
        model.train();

        long seen = 0;
        var watch = Stopwatch.StartNew();
        for (var epoch = 0; epoch < hp.Epochs; epoch++)
        {
            using var order = randperm(n, device: device);
            for (var offset = 0; offset + 1 < n; offset += hp.BatchSize)
            {
                using var scope = NewDisposeScope();
                var index = order.narrow(0, offset, Math.Min(hp.BatchSize, n - offset));
                var value = loss.forward(model.forward(x.index_select(0, index)), y.index_select(0, index));
                optimizer.zero_grad();
                value.backward();
                optimizer.step();
                seen += index.shape[0];
            }
        }

        _ = model.parameters().First().sum().item<float>(); // wait for the device before stopping the clock
        watch.Stop();
        return new TrainingFigure("bare TorchSharp loop", hp.Epochs, seen, watch.Elapsed.TotalSeconds);
    }

    static long Resident()
    {
        using var process = Process.GetCurrentProcess();
        return process.WorkingSet64;
    }
}
