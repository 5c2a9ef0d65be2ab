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
using NeuralTrade.Events.Messaging;
using NeuralTrade.Events.Modeling;
using NeuralTrade.Events.Stores;
using NeuralTrade.Events.Workers.Inference;
using static TorchSharp.torch;

namespace NeuralTrade.Events.Benchmarks;

public sealed record LatencyFigure(string Scenario, int Requests, int Answered, int Failed, int Lost, double Seconds, double P50Ms, double P99Ms, double MaxMs)
{
    public double PerSecond => Answered / Seconds;
}

/// <summary>
/// Inference figures in one run: the in-process forward rate of the loaded model at batch 32 (the bound) and its
/// single-forward latency; then the Inference worker through RabbitMQ and Redis — sustained rate with batching, latency
/// at light load, rate and p99 while a new model is swapped in every few seconds, and resident memory over many predictions.
/// Requests carry their candles (a sliding window of a simulated market), so no answer comes from the cache. The load
/// comes from <see cref="RawTradingClient"/>, a lean client of the public contract on the same cores.
/// The rate is measured in <c>rounds</c> alternated rounds, each of the in-process batch-32 forward (a Stopwatch loop of the
/// worker's forward call), the transport alone and the fleet, so that drift of a shared machine hits all three; the
/// best of each is reported, as the training benchmark does.
/// </summary>
internal sealed class InferenceThroughput(string rabbitUrl, string managementUrl, string redisUrl, int requests, int inFlight, int memoryPredictions,
    int rounds, Action<string> log)
{
    const string Model = "signal-bench-btc-usdt-1m";
    static readonly SeriesKey Series = new("bench", "BTC/USDT", "1m");
    /// <summary>Request bodies of this many windows spread over the market, used in turn.</summary>
    const int Windows = 256;
    readonly ConcurrentDictionary<Guid, (long Sent, TaskCompletionSource<bool> Done)> _pending = new();
    RawTradingClient _client = null!;
    int _failed;

    /// <summary>Open-loop load: requests arrive at <see cref="Fraction"/> of the measured capacity whatever the answers do.</summary>
    public sealed record LoadLevel(double Fraction, double OfferedPerSecond, LatencyFigure Figure);

    /// <summary>One alternated round: the in-process batch-32 forward rate, then the transport alone, then the fleet.</summary>
    public sealed record Round(int Number, double BoundPerSecond, LatencyFigure Transport, LatencyFigure Sustained);

    public sealed record Figures(MicroFigures Micro, IReadOnlyList<Round> Rounds, LatencyFigure Light,
        IReadOnlyList<LoadLevel> Levels, LatencyFigure Swapping, long ResidentBefore, long ResidentAfter, int MemoryPredictions, long ManagedBefore,
        long ManagedAfter, IReadOnlyList<long> ResidentReadings)
    {
        /// <summary>The best in-process batch-32 forward rate of the rounds.</summary>
        public double RoundBoundPerSecond => Rounds.Max(r => r.BoundPerSecond);

        /// <summary>
        /// The in-process batch-32 forward rate of the served model: the higher of BenchmarkDotNet's figure and the best
        /// round, so that the fleet is never divided by a bound measured in a slow moment.
        /// </summary>
        public double BoundPerSecond => Math.Max(Micro.Batch32PerSecond, RoundBoundPerSecond);

        /// <summary>The best transport-only round.</summary>
        public LatencyFigure Transport => Rounds.Select(r => r.Transport).MaxBy(t => t.PerSecond)!;

        /// <summary>The best fleet round (sustained load with batching).</summary>
        public LatencyFigure Sustained => Rounds.Select(r => r.Sustained).MaxBy(t => t.PerSecond)!;

        public double SingleP50Ms => Micro.SingleP50Ms;
        public double SingleP99Ms => Micro.SingleP99Ms;
    }

    public async Task<Figures> RunAsync()
    {
        var candles = new MarketSimulator(new SimulatedMarket { Exchange = Series.Exchange, Symbol = Series.Symbol, Seed = 3 }).Generate(3_000).ToList();
        var hp = new Hyperparameters { Epochs = 1, MinSamples = 500 };
        log($"training a default-size model for one epoch (window {hp.WindowSize}, hidden {hp.HiddenSize}×{hp.NumLayers}) to serve…");
        var first = ModelTraining.Run(Model, Series, candles, hp, CPU);
        var second = ModelTraining.Run(Model, Series, candles, hp with { Seed = 43 }, CPU);

        log("in-process micro-benchmarks (BenchmarkDotNet) of the served model…");
        var micro = MicroBenchmarks.Run(first.Artifact, candles, new InferenceOptions().TorchThreads, Path.Combine("artifacts", "benchmarks", "BenchmarkDotNet"), log);
        log($"in process: batch-32 forward {micro.Batch32PerSecond:N0} predictions/s; single forward p50 {micro.SingleP50Ms:F2} ms, " +
            $"p99 {micro.SingleP99Ms:F2} ms; features of one window {micro.FeaturesMeanUs:F0} µs");

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
            await using var client = await RawTradingClient.ConnectAsync(broker.Url, OnAnswer);
            _client = client;
            var windows = Templates(candles, FeatureSpec.OhlcvV1.Warmup + first.Manifest.WindowSize + 64);
            await MeasureAsync(bus, windows, requests, inFlight, "warm-up", null);
            await MeasureAsync(bus, windows, requests, inFlight, "warm-up (transport)", null, echo: true);

            var measured = new List<Round>();
            using (var served = ModelArtifact.Read(first.Artifact, null))
            {
                var window = ServingWindow.Latest(served, candles);
                for (var round = 1; round <= rounds; round++)
                {
                    var bound = ForwardRate(served, window, micro.Batch32Threads, new InferenceOptions().TorchThreads, TimeSpan.FromSeconds(3));
                    log($"round {round}: in-process batch-32 forward {bound:N0}/s");
                    var transport = await MeasureAsync(bus, windows, requests, inFlight, "transport only: same request and answer, no model", null, echo: true);
                    log($"round {round}: transport bound {transport.PerSecond:N0}/s, p99 {transport.P99Ms:F1} ms");
                    var sustained = await MeasureAsync(bus, windows, requests, inFlight, "sustained, batching", null);
                    log($"round {round}: sustained {sustained.PerSecond:N0}/s, p99 {sustained.P99Ms:F1} ms, failed {sustained.Failed}, lost {sustained.Lost}");
                    measured.Add(new Round(round, bound, transport, sustained));
                }
            }

            var capacity = measured.Max(r => r.Sustained.PerSecond);
            var light = await MeasureAsync(bus, windows, Math.Min(1_500, requests), 1, "light load (1 in flight)", null);
            List<double> inside = [.. ServiceMs.TakeLast(light.Requests)];
            log($"light load p50 {light.P50Ms:F2} ms, p99 {light.P99Ms:F2} ms, max {light.MaxMs:F2} ms; inside the worker p50 {Percentile(inside, 0.5):F2} ms, " +
                $"p99 {Percentile(inside, 0.99):F2} ms, max {inside.Max():F2} ms");
            var levels = new List<LoadLevel>();
            foreach (var fraction in new[] { 0.1, 0.5, 0.9 })
            {
                var rate = fraction * capacity;
                var level = await MeasureAtRateAsync(windows, rate, TimeSpan.FromSeconds(10), $"open loop at {fraction:P0} of capacity ({rate:N0}/s)");
                log($"{level.Scenario}: answered {level.PerSecond:N0}/s, p50 {level.P50Ms:F2} ms, p99 {level.P99Ms:F2} ms, lost {level.Lost}");
                levels.Add(new LoadLevel(fraction, rate, level));
            }

            var swapping = await MeasureAsync(bus, windows, requests, inFlight, "sustained, swapping every 2 s", versions);
            log($"with swaps {swapping.PerSecond:N0}/s, p99 {swapping.P99Ms:F1} ms, failed {swapping.Failed}, lost {swapping.Lost}");

            GC.Collect();
            var before = Resident();
            var managedBefore = GC.GetGCMemoryInfo().HeapSizeBytes;
            // A reading every fifth of the way: a leak grows with the count, a warm-up (pools, allocator arenas) levels off.
            var readings = new List<long>();
            var done = 0;
            var step = Math.Max(1, memoryPredictions / 5);
            while (done < memoryPredictions)
            {
                var n = Math.Min(Math.Min(requests, memoryPredictions - done), step - done % step);
                await MeasureAsync(bus, windows, n, inFlight, "memory", null);
                done += n;
                if (done % step == 0 || done == memoryPredictions)
                {
                    GC.Collect();
                    readings.Add(Resident());
                }
            }

            GC.Collect();
            var after = Resident();
            var managedAfter = GC.GetGCMemoryInfo().HeapSizeBytes;
            log($"resident {before / 1048576.0:N0} MiB before, {after / 1048576.0:N0} MiB after {memoryPredictions:N0} predictions; every " +
                $"{step:N0}: {string.Join(" → ", readings.Select(r => (r / 1048576.0).ToString("N0")))} MiB " +
                $"(managed heap {managedBefore / 1048576.0:N0} → {managedAfter / 1048576.0:N0} MiB; the rest is native: libtorch, RabbitMQ client buffers, thread stacks)");
            await host.StopAsync();
            return new Figures(micro, measured, light, levels, swapping, before, after, memoryPredictions, managedBefore, managedAfter,
                readings);
        }
        finally
        {
            if (Directory.Exists(directory))
                Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>
    /// Predictions/s of the worker's forward call on full batches of 32 windows for <paramref name="duration"/>, with
    /// libtorch on <paramref name="threads"/> intra-op threads (set back to <paramref name="workerThreads"/> after).
    /// </summary>
    static double ForwardRate(LoadedModel served, float[] window, int threads, int workerThreads, TimeSpan duration)
    {
        var batch = new float[32 * window.Length];
        for (var i = 0; i < 32; i++)
            window.CopyTo(batch, i * window.Length);
        var m = served.Manifest;
        set_num_threads(threads);
        try
        {
            for (var i = 0; i < 5; i++)
                Predictor.PredictProbabilities(served.Model, batch, 32, m.WindowSize, m.FeatureNames.Count, 32, CPU);
            var forwards = 0;
            var watch = Stopwatch.StartNew();
            while (watch.Elapsed < duration)
            {
                Predictor.PredictProbabilities(served.Model, batch, 32, m.WindowSize, m.FeatureNames.Count, 32, CPU);
                forwards++;
            }

            return forwards * 32 / watch.Elapsed.TotalSeconds;
        }
        finally
        {
            set_num_threads(workerThreads);
        }
    }

    /// <summary>
    /// Request bodies of <see cref="Windows"/> windows of the market, spread over it, each with its own asOf: used in
    /// turn, the newest prediction of the series (what the cache keeps) is never the one asked for again.
    /// </summary>
    static List<RawTradingClient.Template> Templates(List<Candle> candles, int length)
    {
        var step = Math.Max(1, (candles.Count - length) / Windows);
        return Enumerable.Range(0, Windows).Select(i => Math.Min(i * step, candles.Count - length)).Distinct()
            .Select(start => new RawTradingClient.Template(new PredictionRequested
            {
                RequestId = Guid.Empty, Exchange = Series.Exchange, Symbol = Series.Symbol, Interval = Series.Interval,
                Candles = candles.GetRange(start, length),
            })).ToList();
    }

    async Task<LatencyFigure> MeasureAsync(IBus bus, List<RawTradingClient.Template> windows, int count, int concurrency, string scenario,
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
            if (await RoundTripAsync(windows[i % windows.Count], echo, ct) is { } ms)
                latencies.Add(ms);
            else
                Interlocked.Increment(ref lost);
        });
        watch.Stop();
        await stopSwapping.CancelAsync();
        await swapping;
        var failed = Volatile.Read(ref _failed) - failedBefore;
        return Figure(scenario, count, failed, lost, watch.Elapsed.TotalSeconds, latencies);
    }

    /// <summary>Sends requests at a fixed rate for <paramref name="duration"/>, each on its own, and measures each round trip.</summary>
    async Task<LatencyFigure> MeasureAtRateAsync(List<RawTradingClient.Template> windows, double rate, TimeSpan duration, string scenario)
    {
        var failedBefore = Volatile.Read(ref _failed);
        var count = Math.Max(50, (int)(rate * duration.TotalSeconds));
        var latencies = new ConcurrentBag<double>();
        var lost = 0;
        var trips = new List<Task>(count);
        var watch = Stopwatch.StartNew();
        for (var i = 0; i < count; i++)
        {
            var wait = TimeSpan.FromSeconds(i / rate) - watch.Elapsed;
            if (wait > TimeSpan.FromMilliseconds(1))
                await Task.Delay(wait);
            var window = windows[i % windows.Count];
            trips.Add(Task.Run(async () =>
            {
                if (await RoundTripAsync(window, echo: false, CancellationToken.None) is { } ms)
                    latencies.Add(ms);
                else
                    Interlocked.Increment(ref lost);
            }));
        }

        await Task.WhenAll(trips);
        watch.Stop();
        var failed = Volatile.Read(ref _failed) - failedBefore;
        return Figure(scenario, count, failed, lost, watch.Elapsed.TotalSeconds, latencies);
    }

    /// <summary>One request and its answer; the milliseconds between them, or null when no answer came within 30 s (lost).</summary>
    async Task<double?> RoundTripAsync(RawTradingClient.Template window, bool echo, CancellationToken cancellationToken)
    {
        var id = Guid.NewGuid();
        var done = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        var sent = Stopwatch.GetTimestamp();
        _pending[id] = (sent, done);
        try
        {
            await _client.PublishAsync(echo ? RawTradingClient.EchoExchange : Exchanges.PredictionRequested, window, id, cancellationToken);
            await done.Task.WaitAsync(TimeSpan.FromSeconds(30), cancellationToken);
            return Stopwatch.GetElapsedTime(sent).TotalMilliseconds;
        }
        catch (TimeoutException)
        {
            return null;
        }
        finally
        {
            _pending.TryRemove(id, out _);
        }
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
        builder.Services.AddBusContributor("bench", x => x.AddConsumer<EchoConsumer, EchoConsumerDefinition>());
        builder.AddNeuralTradeBus();
        var host = builder.Build();
        await host.StartAsync();
        return host;
    }

    internal readonly ConcurrentQueue<double> ServiceMs = new();

    void OnAnswer(Guid requestId, double? latencyMs, bool failed)
    {
        if (failed)
            Interlocked.Increment(ref _failed);
        else if (latencyMs is { } ms)
            ServiceMs.Enqueue(ms);
        if (_pending.TryGetValue(requestId, out var p))
            p.Done.TrySetResult(true);
    }

    /// <summary>A scenario's figure from its round trips (answered and failed ones), sorted once.</summary>
    static LatencyFigure Figure(string scenario, int count, int failed, int lost, double seconds, IEnumerable<double> latencies)
    {
        List<double> sorted = [.. latencies.Order()];
        return new LatencyFigure(scenario, count, sorted.Count - failed, failed, lost, seconds, Percentile(sorted, 0.5), Percentile(sorted, 0.99),
            sorted.Count == 0 ? double.NaN : sorted[^1]);
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

    /// <summary>The transport bound: deserialize the request, publish an answer of the same shape, nothing else.</summary>
    public sealed class EchoConsumer : IConsumer<PredictionRequested>
    {
        public Task Consume(ConsumeContext<PredictionRequested> context)
        {
            var r = context.Message;
            return context.Publish(new PredictionCompleted
            {
                RequestId = r.RequestId, Exchange = r.Exchange, Symbol = r.Symbol, Interval = r.Interval, AsOf = r.Candles![^1].OpenTime,
                Signal = Signal.Hold, Confidence = 0.4, Probabilities = new SignalProbabilities(0.3, 0.4, 0.3),
                Risk = new RiskAssessment(5, RiskLevel.Medium, ["volatility 0.10% per candle", "trend strength 0.20", "confidence 0.40"], "trade with reduced size"),
                Model = new ModelRef(Model, 1), LatencyMs = 0,
            }, context.CancellationToken);
        }
    }

    /// <summary>
    /// Queue <c>bench-echo</c>, bound to <see cref="RawTradingClient.EchoExchange"/> only (not to prediction.requested,
    /// whose messages are the worker's), with the Inference worker's limit of messages in flight.
    /// </summary>
    public sealed class EchoConsumerDefinition : ConsumerDefinition<EchoConsumer>
    {
        public EchoConsumerDefinition()
        {
            EndpointName = "bench-echo";
            ConcurrentMessageLimit = new InferenceOptions().ConcurrentRequests;
        }

        protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator, IConsumerConfigurator<EchoConsumer> consumerConfigurator,
            IRegistrationContext context)
        {
            endpointConfigurator.ConfigureConsumeTopology = false;
            if (endpointConfigurator is IRabbitMqReceiveEndpointConfigurator rabbit)
                rabbit.Bind(RawTradingClient.EchoExchange);
        }
    }
}
