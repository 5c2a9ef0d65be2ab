using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using NeuralTrade.Events.Modeling;
using NeuralTrade.Events.Testing;
using NeuralTrade.Events.Workers.Inference;
using static TorchSharp.torch;

namespace NeuralTrade.Events.Tests;

/// <summary>
/// Dynamic batching on a real trained model: requests that meet in the queue share a forward pass, every request gets
/// the probabilities of its own window (as a forward pass of that window alone gives them), with one forward thread
/// or several.
/// </summary>
[TestFixture]
[NonParallelizable] // counts every forward pass in the process through the worker's metric
[Category(TestCategories.Numerics)]
public sealed class BatchingPredictorTests
{
    LoadedModel _model = null!;
    List<float[]> _windows = null!;
    float[][] _alone = null!;

    [OneTimeSetUp]
    public void LoadModelAndWindows()
    {
        _model = ModelArtifact.Read(TrainedModels.Outcome.Artifact, null, CPU);
        var market = TrainedModels.Market;
        var wanted = ServingWindow.CandlesWanted(_model);
        // 48 different windows: the newest `wanted` candles as of 48 different closes.
        _windows = [.. Enumerable.Range(0, 48).Select(i => ServingWindow.Latest(_model, market.Skip(market.Count - wanted - 7 * i).Take(wanted).ToList()))];
        var manifest = _model.Manifest;
        _alone = [.. _windows.Select(w => Predictor.PredictProbabilities(_model.Model, w, 1, manifest.WindowSize, manifest.FeatureNames.Count, 1, CPU, _model.Temperature))];
    }

    [OneTimeTearDown]
    public void DisposeModel() => _model.Dispose();

    /// <summary>A started predictor, stopped when disposed.</summary>
    sealed class Running(BatchingPredictor predictor) : IAsyncDisposable
    {
        public BatchingPredictor Predictor { get; } = predictor;

        public ValueTask DisposeAsync() => new(Predictor.StopAsync(CancellationToken.None));
    }

    static Running Start(int maxBatchSize, double maxBatchDelayMs, int forwardThreads)
    {
        var predictor = new BatchingPredictor(Options.Create(new InferenceOptions
        {
            MaxBatchSize = maxBatchSize, MaxBatchDelayMs = maxBatchDelayMs, ForwardThreads = forwardThreads, TorchThreads = 0,
        }), NullLogger<BatchingPredictor>.Instance);
        predictor.StartAsync(CancellationToken.None).GetAwaiter().GetResult();
        return new Running(predictor);
    }

    /// <summary>Each forward pass's batch size and the thread that ran it, from the worker's own metric.</summary>
    sealed class ForwardPasses : IDisposable
    {
        readonly MeterListener _listener = new();
        public ConcurrentQueue<(int Size, string? Thread)> Seen { get; } = new();

        public ForwardPasses()
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                // By name: the instrument may be created by this very callback's first look at InferenceTelemetry.
                if (instrument.Meter.Name == InferenceTelemetry.Name && instrument.Name == "neuraltrade.inference.batch_size")
                    listener.EnableMeasurementEvents(instrument);
            };
            _listener.SetMeasurementEventCallback<int>((_, size, _, _) => Seen.Enqueue((size, Thread.CurrentThread.Name)));
            _listener.Start();
        }

        public void Dispose() => _listener.Dispose();
    }

    ServedModel Served() => new(_model, 1);

    async Task<float[][]> PredictAllAsync(BatchingPredictor predictor, IReadOnlyList<float[]> windows)
    {
        // One lease for all: the test owns the model's lifetime (the catalog's reference is never released here).
        var lease = new ModelLease(Served());
        return await Task.WhenAll(windows.Select(w => predictor.PredictAsync(lease, w)));
    }

    void AssertEachAsAlone(float[][] results, IReadOnlyList<int> windowIndexes)
    {
        Assert.That(results, Has.Length.EqualTo(windowIndexes.Count));
        for (var i = 0; i < results.Length; i++)
            Assert.That(results[i], Is.EqualTo(_alone[windowIndexes[i]]).Within(1e-5f), $"request {i} (window {windowIndexes[i]})");
    }

    [Test]
    public void Served_probabilities_are_the_calibrated_ones_softmax_of_logits_over_the_temperature()
    {
        var manifest = _model.Manifest;
        Assert.That(_model.Temperature, Is.Not.EqualTo(1.0).And.EqualTo(manifest.Calibration!.Temperature), "the trained model carries a fitted temperature");
        for (var w = 0; w < 8; w++)
        {
            // softmax(z / T) = normalise(softmax(z)^(1/T)): from the uncalibrated probabilities to the calibrated ones.
            var raw = Predictor.PredictProbabilities(_model.Model, _windows[w], 1, manifest.WindowSize, manifest.FeatureNames.Count, 1, CPU, 1.0);
            var powered = raw.Select(p => Math.Pow(p, 1 / _model.Temperature)).ToArray();
            var expected = powered.Select(p => p / powered.Sum()).ToArray();
            Assert.That(_alone[w].Select(p => (double)p), Is.EqualTo(expected).Within(1e-5), $"window {w}");
        }
    }

    [Test]
    public async Task Requests_queued_together_share_forward_passes_up_to_the_maximum_and_each_gets_its_own_answer()
    {
        using var passes = new ForwardPasses();
        await using var running = Start(maxBatchSize: 16, maxBatchDelayMs: 200, forwardThreads: 1);
        var predictor = running.Predictor;
        var results = await PredictAllAsync(predictor, _windows.Take(40).ToList());

        AssertEachAsAlone(results, [.. Enumerable.Range(0, 40)]);
        var sizes = passes.Seen.Select(p => p.Size).ToList();
        Assert.That(sizes.Sum(), Is.EqualTo(40));
        Assert.That(sizes, Has.All.InRange(1, 16));
        Assert.That(sizes, Has.Count.LessThanOrEqualTo(4), $"40 requests queued at once took {sizes.Count} passes: {string.Join(", ", sizes)}");
        Assert.That(passes.Seen.Select(p => p.Thread).Distinct(), Is.EqualTo(new[] { "inference-batcher" }));
    }

    [Test]
    public async Task A_lone_request_waits_for_nobody_when_there_is_no_added_delay()
    {
        using var passes = new ForwardPasses();
        await using var running = Start(maxBatchSize: 32, maxBatchDelayMs: 0, forwardThreads: 1);
        var predictor = running.Predictor;
        var results = await PredictAllAsync(predictor, [_windows[3]]);

        AssertEachAsAlone(results, [3]);
        Assert.That(passes.Seen.Select(p => p.Size), Is.EqualTo(new[] { 1 }));
    }

    [Test]
    public async Task Several_forward_threads_on_one_model_give_every_request_the_answer_of_its_own_window()
    {
        using var passes = new ForwardPasses();
        await using var running = Start(maxBatchSize: 8, maxBatchDelayMs: 0, forwardThreads: 3);
        var predictor = running.Predictor;
        // 30 waves of 48 concurrent requests, windows in a shuffled order: passes of the same weights run at once
        // on three threads, and every answer must still be its own window's.
        var random = new Random(5);
        for (var wave = 0; wave < 30; wave++)
        {
            var order = Enumerable.Range(0, _windows.Count).OrderBy(_ => random.Next()).ToList();
            var results = await PredictAllAsync(predictor, order.Select(i => _windows[i]).ToList());
            AssertEachAsAlone(results, order);
        }

        Assert.That(passes.Seen.Sum(p => p.Size), Is.EqualTo(30 * 48));
        Assert.That(passes.Seen.Select(p => p.Thread).Distinct().Order(),
            Is.SubsetOf(new[] { "inference-batcher-0", "inference-batcher-1", "inference-batcher-2" }));
        Assert.That(passes.Seen.Select(p => p.Thread).Distinct().Count(), Is.GreaterThan(1), "the passes ran on more than one thread");
    }

    [Test]
    public async Task A_forward_pass_holds_one_model_and_a_request_for_another_starts_the_next_pass()
    {
        using var passes = new ForwardPasses();
        await using var running = Start(maxBatchSize: 16, maxBatchDelayMs: 200, forwardThreads: 1);
        // Two champions (two series' models) with the same weights: what a close of several series queues.
        var leases = new[] { new ModelLease(new ServedModel(_model, 1)), new ModelLease(new ServedModel(_model, 2)) };

        // Interleaved, each request's neighbour is the other model's: every pass is one request.
        var interleaved = await Task.WhenAll(Enumerable.Range(0, 12).Select(i => running.Predictor.PredictAsync(leases[i % 2], _windows[i])));
        AssertEachAsAlone(interleaved, [.. Enumerable.Range(0, 12)]);
        Assert.That(passes.Seen.Select(p => p.Size), Is.EqualTo(Enumerable.Repeat(1, 12)));

        // In runs of one model, the runs are batched.
        passes.Seen.Clear();
        var runs = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => running.Predictor.PredictAsync(leases[i / 10], _windows[i])));
        AssertEachAsAlone(runs, [.. Enumerable.Range(0, 20)]);
        Assert.That(passes.Seen.Sum(p => p.Size), Is.EqualTo(20));
        Assert.That(passes.Seen, Has.Count.LessThanOrEqualTo(4), string.Join(", ", passes.Seen.Select(p => p.Size)));
    }

    [Test]
    public async Task After_stop_a_request_fails_with_a_reason_instead_of_waiting_forever()
    {
        var predictor = Start(maxBatchSize: 32, maxBatchDelayMs: 0, forwardThreads: 2).Predictor;
        await predictor.StopAsync(CancellationToken.None);

        var lease = new ModelLease(Served());
        var error = Assert.ThrowsAsync<InvalidOperationException>(() => predictor.PredictAsync(lease, _windows[0]));
        Assert.That(error!.Message, Does.Contain("stopping"));
    }
}
