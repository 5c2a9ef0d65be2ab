using TorchSharp;
using static TorchSharp.torch;

namespace NeuralTrade.Events.Modeling;

/// <summary>
/// Trains <see cref="SignalPredictor"/>: AdamW, gradient clipping, cosine learning-rate schedule, class-weighted
/// cross-entropy, early stopping on validation loss keeping the best weights. Deterministic for a seed on CPU.
/// Runs synchronously on the calling thread: TorchSharp's dispose scopes are per thread, so never await inside.
/// </summary>
public static class SignalTrainer
{
    public static TrainedModel Train(SignalDataset data, DataSplit split, Hyperparameters hp, Device? device = null,
        Action<EpochProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(split);
        ArgumentNullException.ThrowIfNull(hp);
        device ??= TorchDevices.Best();
        random.manual_seed(hp.Seed);
        var shuffle = new Random(hp.Seed);
        var started = DateTime.UtcNow;

        var scaler = data.FitScaler(split.Train);
        var model = new SignalPredictor(data.Features.Columns, hp.HiddenSize, hp.NumLayers, hp.Dropout).to(device);
        using var optimizer = optim.AdamW(model.parameters(), hp.LearningRate, weight_decay: hp.WeightDecay);
        var schedule = optim.lr_scheduler.CosineAnnealingLR(optimizer, hp.Epochs);
        using var update = new AdamWStep(optimizer); // TorchSharp's step, with its scalars kept alive (see AdamWStep)
        using var weights = tensor(SignalDataset.ClassWeights(split.Train)).to(device);
        using var loss = nn.CrossEntropyLoss(weights);

        var history = new List<EpochProgress>();
        using var stopping = new EarlyStopping();
        var seen = 0;
        var train = split.Train.ToArray();
        var buffer = new float[hp.BatchSize * data.Window * data.Features.Columns];

        try
        {
            for (var epoch = 1; epoch <= hp.Epochs; epoch++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                model.train();
                shuffle.Shuffle(train);
                var total = TrainEpoch(model, optimizer, update, loss, data, scaler, train, buffer, hp, device, ref seen, cancellationToken);

                var learningRate = schedule.get_last_lr().First();
                schedule.step();
                var validationLoss = Loss(model, weights, data, scaler, split.Validation, EvaluationBatch(hp), device);
                var improved = stopping.Observe(epoch, validationLoss, model);
                var record = new EpochProgress(epoch, hp.Epochs, total / Math.Max(1, train.Length), validationLoss, learningRate, improved, seen,
                    DateTime.UtcNow - started);
                history.Add(record);
                progress?.Invoke(record);
                if (stopping.EpochsSinceBest >= hp.Patience)
                    break;
            }

            stopping.RestoreBest(model);
            model.eval();
            return new TrainedModel(model, scaler, stopping.BestEpoch, history, device);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>One pass over the shuffled training samples in batches; the summed loss (mean per batch × batch size).</summary>
    static double TrainEpoch(SignalPredictor model, optim.Optimizer optimizer, AdamWStep update, TorchSharp.Modules.CrossEntropyLoss loss, SignalDataset data,
        FeatureScaler scaler, Sample[] train, float[] buffer, Hyperparameters hp, Device device, ref int seen, CancellationToken cancellationToken)
    {
        double total = 0;
        for (var offset = 0; offset < train.Length; offset += hp.BatchSize)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var batch = new ArraySegment<Sample>(train, offset, Math.Min(hp.BatchSize, train.Length - offset));
            if (batch.Count < 2)
                continue; // BatchNorm needs two samples in training mode
            using var scope = NewDisposeScope();
            var (x, y) = ToTensors(data, scaler, batch, buffer, device);
            optimizer.zero_grad();
            var value = loss.forward(model.forward(x), y);
            value.backward();
            nn.utils.clip_grad_norm_(model.parameters(), hp.GradientClip);
            update.Step();
            total += value.item<float>() * batch.Count;
            seen += batch.Count;
        }

        return total;
    }

    /// <summary>
    /// Forward-only passes take larger batches than training: no activations are kept for backward, and fewer, larger
    /// calls into libtorch cost less per sample (the training benchmark measures the difference).
    /// </summary>
    public static int EvaluationBatch(Hyperparameters hp)
    {
        ArgumentNullException.ThrowIfNull(hp);
        return Math.Max(hp.BatchSize, 512);
    }

    /// <summary>
    /// Class-weighted cross-entropy over all of <paramref name="samples"/> in evaluation mode: Σ wᵧ·lᵢ / Σ wᵧ over the
    /// whole set, the same value as one batch holding every sample, whatever <paramref name="batchSize"/> is.
    /// </summary>
    public static double Loss(SignalPredictor model, Tensor classWeights, SignalDataset data, FeatureScaler scaler,
        IReadOnlyList<Sample> samples, int batchSize, Device device)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(classWeights);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(samples);
        model.eval();
        using var _ = no_grad();
        var buffer = new float[batchSize * data.Window * data.Features.Columns];
        double weighted = 0, weights = 0;
        for (var offset = 0; offset < samples.Count; offset += batchSize)
        {
            using var scope = NewDisposeScope();
            var batch = samples.Skip(offset).Take(batchSize).ToList();
            var (x, y) = ToTensors(data, scaler, batch, buffer, device);
            weighted += nn.functional.cross_entropy(model.forward(x), y, classWeights, reduction: nn.Reduction.Sum).item<float>();
            weights += classWeights.index_select(0, y).sum().item<float>();
        }

        return weights > 0 ? weighted / weights : double.NaN;
    }

    static (Tensor X, Tensor Y) ToTensors(SignalDataset data, FeatureScaler scaler, IReadOnlyList<Sample> batch, float[] buffer, Device device)
    {
        var per = data.Window * data.Features.Columns;
        data.CopyWindows(batch, scaler, buffer.AsSpan(0, batch.Count * per));
        var x = tensor(buffer.AsSpan(0, batch.Count * per).ToArray(), [batch.Count, data.Window, data.Features.Columns]).to(device);
        var y = tensor(batch.Select(s => (long)s.Label).ToArray()).to(device);
        return (x, y);
    }
}
