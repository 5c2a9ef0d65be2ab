using System.Collections.Concurrent;
using System.Diagnostics;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using NeuralTrade.Events.Contracts;
using NeuralTrade.Events.Hosting;
using NeuralTrade.Events.MarketData;
using NeuralTrade.Events.Modeling;
using NeuralTrade.Events.Tracking;
using NeuralTrade.Events.Workers.Inference;
using static TorchSharp.torch;

namespace NeuralTrade.Events.Benchmarks;

public sealed record LatencyFigure(string Scenario, int Requests, int Answered, int Failed, int Lost, double Seconds, double P50Ms, double P99Ms)
{
    public double PerSecond => Answered / Seconds;
}

/// <summary>
/// Inference figures in one run: the in-process forward rate of the loaded model at batch 32 (the bound) and its
/// single-forward latency; then the Inference worker through RabbitMQ and Redis — sustained rate with batching, latency
/// at light load, rate and p99 while a new model is swapped in every few seconds, and resident memory over many predictions.
/// Requests carry their candles (a sliding window of a simulated market), so no answer comes from the cache.
/// </summary>
internal sealed class InferenceThroughput(string rabbitUrl, string managementUrl, string redisUrl, int requests, int inFlight, int memoryPredictions,
    Action<string> log)
{
    const string Model = "signal-bench-btc-usdt-1m";
    static readonly SeriesKey Series = new("bench", "BTC/USDT", "1m");
    readonly ConcurrentDictionary<Guid, (long Sent, TaskCompletionSource<bool> Done)> _pending = new();
    int _failed;

    public sealed record Figures(double BoundPerSecond, double SingleP50Ms, double SingleP99Ms, LatencyFigure Transport, LatencyFigure Sustained,
        LatencyFigure Light, LatencyFigure Swapping, long ResidentBefore, long ResidentAfter, int MemoryPredictions);

    public async Task<Figures> RunAsync()
    {
        var candles = new MarketSimulator(new SimulatedMarket { Exchange = Series.Exchange, Symbol = Series.Symbol, Seed = 3 }).Generate(3_000).ToList();
        var hp = new Hyperparameters { Epochs = 1, MinSamples = 500 };
        log($"training a default-size model for one epoch (window {hp.WindowSize}, hidden {hp.HiddenSize}×{hp.NumLayers}) to serve…");
        var first = ModelTraining.Run(Model, Series, candles, hp, CPU);
        var second = ModelTraining.Run(Model, Series, candles, hp with { Seed = 43 }, CPU);

        var (bound, p50, p99) = InProcess(first.Artifact, candles);
        log($"in process: batch-32 forward {bound:N0} predictions/s; single forward p50 {p50:F2} ms, p99 {p99:F2} ms");

        var directory = Path.Combine(Path.GetTempPath(), "nt-bench-" + Guid.NewGuid().ToString("N")[..8]);
        await using var broker = await BenchBroker.CreateAsync(rabbitUrl, managementUrl, redisUrl);
        try
        {
            using var host = await StartAsync(broker, directory);
            var registry = host.Services.GetRequiredService<IModelRegistryStore>();
            var versions = new List<RegisteredVersion>();
            foreach (var (outcome, run) in new[] { (first, "bench-1"), (second, "bench-2") })
            {
                Directory.CreateDirectory(directory);
                var path = Path.Combine(directory, run + ModelArtifact.FileExtension);
                await File.WriteAllBytesAsync(path, outcome.Artifact);
                versions.Add(await registry.AddVersionAsync(new RegisteredVersion(Model, 0, run,
                    new ArtifactRef(new Uri(path).AbsoluteUri, outcome.Sha256, outcome.Artifact.LongLength), outcome.Manifest.Metrics, DateTimeOffset.UtcNow,
                    RegisteredVersion.Local)));
            }

            var bus = host.Services.GetRequiredService<IBus>();
            await Deploy(bus, versions[0]);
            var windows = Windows(candles, FeatureSpec.OhlcvV1.Warmup + first.Manifest.WindowSize + 64);
            await MeasureAsync(bus, windows, requests, inFlight, "warm-up", null);
            await MeasureAsync(bus, windows, requests, inFlight, "warm-up (transport)", null, echo: true);

            var transport = await MeasureAsync(bus, windows, requests, inFlight, "transport only: same request and answer, no model", null, echo: true);
            log($"transport bound {transport.PerSecond:N0}/s, p99 {transport.P99Ms:F1} ms");
            var sustained = await MeasureAsync(bus, windows, requests, inFlight, "sustained, batching", null);
            log($"sustained {sustained.PerSecond:N0}/s, p99 {sustained.P99Ms:F1} ms");
            var light = await MeasureAsync(bus, windows, Math.Min(500, requests), 1, "light load (1 in flight)", null);
            log($"light load p50 {light.P50Ms:F2} ms, p99 {light.P99Ms:F2} ms; inside the worker p50 {Percentile([.. ServiceMs.TakeLast(light.Requests)], 0.5):F2} ms");
            var swapping = await MeasureAsync(bus, windows, requests, inFlight, "sustained, swapping every 2 s", versions);
            log($"with swaps {swapping.PerSecond:N0}/s, p99 {swapping.P99Ms:F1} ms, failed {swapping.Failed}, lost {swapping.Lost}");

            GC.Collect();
            var before = Resident();
            var done = 0;
            while (done < memoryPredictions)
            {
                var n = Math.Min(requests, memoryPredictions - done);
                await MeasureAsync(bus, windows, n, inFlight, "memory", null);
                done += n;
            }

            GC.Collect();
            var after = Resident();
            log($"resident {before / 1048576.0:N0} MiB before, {after / 1048576.0:N0} MiB after {memoryPredictions:N0} predictions");
            await host.StopAsync();
            return new Figures(bound, p50, p99, transport, sustained, light, swapping, before, after, memoryPredictions);
        }
        finally
        {
            if (Directory.Exists(directory))
                Directory.Delete(directory, recursive: true);
        }
    }

    static (double PerSecond, double P50, double P99) InProcess(byte[] artifact, List<Candle> candles)
    {
        using var model = ModelArtifact.Read(artifact, null);
        var per = model.Manifest.WindowSize * model.Manifest.FeatureNames.Count;
        var window = ServingWindow.Latest(model, candles);
        var batch = new float[32 * per];
        for (var i = 0; i < 32; i++)
            window.CopyTo(batch, i * per);
        var f = model.Manifest.FeatureNames.Count;
        for (var i = 0; i < 20; i++)
            SignalTrainer.PredictProbabilities(model.Model, batch, 32, model.Manifest.WindowSize, f, 32, CPU);
        var watch = Stopwatch.StartNew();
        var count = 0;
        while (watch.Elapsed < TimeSpan.FromSeconds(5))
        {
            SignalTrainer.PredictProbabilities(model.Model, batch, 32, model.Manifest.WindowSize, f, 32, CPU);
            count += 32;
        }

        var rate = count / watch.Elapsed.TotalSeconds;
        var single = new List<double>();
        for (var i = 0; i < 500; i++)
        {
            var t = Stopwatch.GetTimestamp();
            SignalTrainer.PredictProbabilities(model.Model, window, 1, model.Manifest.WindowSize, f, 1, CPU);
            single.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
        }

        return (rate, Percentile(single, 0.5), Percentile(single, 0.99));
    }

    /// <summary>Sliding windows of the market, each ending one candle later: every request has its own asOf.</summary>
    static List<List<Candle>> Windows(List<Candle> candles, int length) =>
        Enumerable.Range(0, candles.Count - length).Select(i => candles.GetRange(i, length)).ToList();

    async Task<LatencyFigure> MeasureAsync(IBus bus, List<List<Candle>> windows, int count, int concurrency, string scenario,
        List<RegisteredVersion>? swapBetween, bool echo = false)
    {
        var failedBefore = Volatile.Read(ref _failed);
        var latencies = new ConcurrentBag<double>();
        var lost = 0;
        using var stopSwapping = new CancellationTokenSource();
        var swapping = swapBetween is null ? Task.CompletedTask : SwapLoopAsync(bus, swapBetween, stopSwapping.Token);
        var watch = Stopwatch.StartNew();
        await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = concurrency }, async (i, ct) =>
        {
            var id = Guid.NewGuid();
            var done = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            var sent = Stopwatch.GetTimestamp();
            _pending[id] = (sent, done);
            var request = new PredictionRequested
            {
                RequestId = id, Exchange = Series.Exchange, Symbol = Series.Symbol, Interval = Series.Interval, Candles = windows[i % windows.Count],
            };
            if (echo)
                await bus.Publish(new EchoRequest(request), ct);
            else
                await bus.Publish(request, ct);
            if (await Task.WhenAny(done.Task, Task.Delay(TimeSpan.FromSeconds(30), ct)) == done.Task)
                latencies.Add(Stopwatch.GetElapsedTime(sent).TotalMilliseconds);
            else
                Interlocked.Increment(ref lost);
            _pending.TryRemove(id, out _);
        });
        watch.Stop();
        await stopSwapping.CancelAsync();
        await swapping;
        var failed = Volatile.Read(ref _failed) - failedBefore;
        var sorted = latencies.ToList();
        return new LatencyFigure(scenario, count, sorted.Count - failed, failed, lost, watch.Elapsed.TotalSeconds, Percentile(sorted, 0.5),
            Percentile(sorted, 0.99));
    }

    static async Task SwapLoopAsync(IBus bus, List<RegisteredVersion> versions, CancellationToken cancellationToken)
    {
        var next = 1;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            await Deploy(bus, versions[next % versions.Count]);
            next++;
        }
    }

    static Task Deploy(IBus bus, RegisteredVersion v) => bus.Publish(new ModelDeployed
    {
        ModelName = v.ModelName, Version = v.Version, RunId = v.RunId, Artifact = v.Artifact, Metrics = v.Metrics,
    });

    async Task<IHost> StartAsync(BenchBroker broker, string directory)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.AddServiceDefaults("benchmark");
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Messaging:RabbitMqUrl"] = broker.Url,
            ["Redis:Url"] = redisUrl,
            ["Redis:KeyPrefix"] = broker.KeyPrefix,
            ["Tracking:LocalDirectory"] = directory,
            ["Inference:InstanceId"] = "bench",
            // The benchmark's windows are historical: the validator must not refuse them as too old or not closed.
            ["Candles:RequireClosed"] = "false",
        });
        builder.AddInferenceWorker();
        builder.Services.AddSingleton(this);
        builder.Services.AddBusContributor("bench", x =>
        {
            x.AddConsumer<AnswerConsumer>().Endpoint(e => e.Name = "bench-answers");
            x.AddConsumer<FailureConsumer>().Endpoint(e => e.Name = "bench-failures");
            x.AddConsumer<EchoConsumer>().Endpoint(e =>
            {
                e.Name = "bench-echo";
                e.ConcurrentMessageLimit = 64;
            });
        });
        builder.AddNeuralTradeBus();
        var host = builder.Build();
        await host.StartAsync();
        return host;
    }

    internal readonly ConcurrentQueue<double> ServiceMs = new();

    internal void Answered(Guid? requestId)
    {
        if (requestId is { } id && _pending.TryGetValue(id, out var p))
            p.Done.TrySetResult(true);
    }

    internal void Failed(Guid requestId)
    {
        Interlocked.Increment(ref _failed);
        Answered(requestId);
    }

    static double Percentile(List<double> values, double q)
    {
        if (values.Count == 0)
            return double.NaN;
        values.Sort();
        return values[Math.Min(values.Count - 1, (int)Math.Ceiling(q * values.Count) - 1)];
    }

    static long Resident()
    {
        using var process = Process.GetCurrentProcess();
        return process.WorkingSet64;
    }

    public sealed class AnswerConsumer(InferenceThroughput bench) : IConsumer<PredictionCompleted>
    {
        public Task Consume(ConsumeContext<PredictionCompleted> context)
        {
            bench.ServiceMs.Enqueue(context.Message.LatencyMs);
            bench.Answered(context.Message.RequestId);
            return Task.CompletedTask;
        }
    }

    /// <summary>The same request body on a queue of its own; the answer is a prediction-sized message, no model involved.</summary>
    public sealed record EchoRequest(PredictionRequested Request);

    /// <summary>The transport bound: deserialize the request, publish an answer of the same shape, nothing else.</summary>
    public sealed class EchoConsumer : IConsumer<EchoRequest>
    {
        public Task Consume(ConsumeContext<EchoRequest> context)
        {
            var r = context.Message.Request;
            return context.Publish(new PredictionCompleted
            {
                RequestId = r.RequestId, Exchange = r.Exchange, Symbol = r.Symbol, Interval = r.Interval, AsOf = r.Candles![^1].OpenTime,
                Signal = Signal.Hold, Confidence = 0.4, Probabilities = new SignalProbabilities(0.3, 0.4, 0.3),
                Risk = new RiskAssessment(5, RiskLevel.Medium, ["volatility 0.10% per candle", "trend strength 0.20", "confidence 0.40"], "trade with reduced size"),
                Model = new ModelRef(Model, 1), LatencyMs = 0,
            }, context.CancellationToken);
        }
    }

    public sealed class FailureConsumer(InferenceThroughput bench) : IConsumer<PredictionFailed>
    {
        public Task Consume(ConsumeContext<PredictionFailed> context)
        {
            bench.Failed(context.Message.RequestId);
            return Task.CompletedTask;
        }
    }
}
