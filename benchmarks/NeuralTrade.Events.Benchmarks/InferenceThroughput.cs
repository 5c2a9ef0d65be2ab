using System.Diagnostics;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using NeuralTrade.Events.Contracts;
using NeuralTrade.Events.MarketData;
using NeuralTrade.Events.Messaging;
using NeuralTrade.Events.Modeling;
using NeuralTrade.Events.Stores;
using NeuralTrade.Events.Workers.Inference;
using static TorchSharp.torch;

namespace NeuralTrade.Events.Benchmarks;

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
internal sealed partial class InferenceThroughput(string rabbitUrl, string managementUrl, string redisUrl, int requests, int inFlight, int memoryPredictions,
    int rounds, Hyperparameters hp, Action<string> log)
{
    internal static readonly SeriesKey Series = new("bench", "BTC/USDT", "1m");
    internal static readonly string Model = ModelNames.For(Series);
    /// <summary>Request bodies of this many windows spread over the market, used in turn.</summary>
    const int Windows = 256;
    public async Task<Figures> RunAsync()
    {
        var candles = new MarketSimulator(new SimulatedMarket { Exchange = Series.Exchange, Symbol = Series.Symbol, Seed = 3 }).Generate(3_000).ToList();
        log($"training a model for one epoch (window {hp.WindowSize}, hidden {hp.HiddenSize}×{hp.NumLayers}) to serve…");
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
            using var host = await broker.StartHostAsync(directory, "bench", builder =>
            {
                builder.AddInferenceWorker();
                builder.Services.AddBusContributor("bench", x => x.AddConsumer<EchoConsumer, EchoConsumerDefinition>());
            });
            var versions = await RegisterAsync(host.Services.GetRequiredService<IModelRegistryStore>(), directory, (first, "bench-1"), (second, "bench-2"));
            var bus = host.Services.GetRequiredService<IBus>();
            var registry = host.Services.GetRequiredService<IModelRegistryStore>();
            await InferenceLoad.Deploy(bus, registry, versions[0]);
            var length = FeatureSpec.OhlcvV1.Warmup + first.Manifest.WindowSize + ServingWindow.IndicatorHistory + 64;
            await using var load = await InferenceLoad.ConnectAsync(broker.Url, bus, registry, Templates(candles, length));
            await load.MeasureAsync(requests, inFlight, "warm-up");
            await load.MeasureAsync(requests, inFlight, "warm-up (transport)", echo: true);

            var measured = await MeasureRoundsAsync(load, first, candles, micro.Batch32Threads);
            var echoLight = await load.MeasureAsync(Math.Min(1_500, requests), 1, "transport only, light load (1 in flight)", echo: true);
            log($"transport only (echo), light load p50 {echoLight.P50Ms:F2} ms, p99 {echoLight.P99Ms:F2} ms");
            var light = await load.MeasureAsync(Math.Min(1_500, requests), 1, "light load (1 in flight)");
            List<double> inside = [.. load.ServiceMs.TakeLast(light.Requests)];
            log($"light load p50 {light.P50Ms:F2} ms, p99 {light.P99Ms:F2} ms, max {light.MaxMs:F2} ms; inside the worker p50 " +
                $"{InferenceLoad.Percentile(inside, 0.5):F2} ms, p99 {InferenceLoad.Percentile(inside, 0.99):F2} ms, max {inside.Max():F2} ms");
            var levels = await MeasureLevelsAsync(load, measured.Max(r => r.Sustained.PerSecond));
            var (byReference, byReferenceLight) = await MeasureByReferenceAsync(load, host.Services.GetRequiredService<ICandleStore>(), candles, length);
            var swapping = await load.MeasureAsync(requests, inFlight, "sustained, swapping every 2 s", versions);
            log($"with swaps {swapping.PerSecond:N0}/s, p99 {swapping.P99Ms:F1} ms, failed {swapping.Failed}, lost {swapping.Lost}");

            var memory = await MeasureMemoryAsync(load);
            await host.StopAsync();
            return new Figures(micro, measured, light, levels, swapping, memory.Before, memory.After, memoryPredictions, memory.ManagedBefore,
                memory.ManagedAfter, memory.Readings, byReference, byReferenceLight, echoLight);
        }
        finally
        {
            if (Directory.Exists(directory))
                Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>Writes each trained model to the run directory and registers it as a version (the Registry's record).</summary>
    internal static async Task<List<RegisteredVersion>> RegisterAsync(IModelRegistryStore registry, string directory, params (TrainingOutcome Outcome, string Run)[] runs)
    {
        var versions = new List<RegisteredVersion>();
        Directory.CreateDirectory(directory);
        foreach (var (outcome, run) in runs)
        {
            var path = Path.Combine(directory, run + ModelArtifact.FileExtension);
            await File.WriteAllBytesAsync(path, outcome.Artifact);
            versions.Add(await registry.AddVersionAsync(new RegisteredVersion(Model, 0, run,
                new ArtifactRef(new Uri(path).AbsoluteUri, outcome.Sha256, outcome.Artifact.LongLength), outcome.Manifest.Metrics, DateTimeOffset.UtcNow,
                RegisteredVersion.Local)));
        }

        return versions;
    }

    /// <summary>The alternated rounds: in-process batch-32 forward, transport alone, then the fleet.</summary>
    async Task<List<Round>> MeasureRoundsAsync(InferenceLoad load, TrainingOutcome model, List<Candle> candles, int batch32Threads)
    {
        var measured = new List<Round>();
        using var served = ModelArtifact.Read(model.Artifact, null);
        var window = ServingWindow.Latest(served, candles);
        for (var round = 1; round <= rounds; round++)
        {
            // Every way the worker could run the model: one pass at a time (BenchmarkDotNet's best torch thread count), and
            // as many passes at once as it runs (Inference:ForwardThreads, one torch thread each).
            var options = new InferenceOptions();
            var oneAtATime = ForwardRate(served, window, batch32Threads, options.TorchThreads, TimeSpan.FromSeconds(3));
            var atOnce = ParallelForwardRate(served, window, options.ForwardThreads, options.TorchThreads, TimeSpan.FromSeconds(3));
            var bound = Math.Max(oneAtATime, atOnce);
            log($"round {round}: in-process batch-32 forward {oneAtATime:N0}/s one at a time ({batch32Threads} torch threads), {atOnce:N0}/s as "
                + $"{options.ForwardThreads} at once (1 torch thread each): bound {bound:N0}/s");
            var transport = await load.MeasureAsync(requests, inFlight, "transport only: same request and answer, no model", echo: true);
            log($"round {round}: transport bound {transport.PerSecond:N0}/s, p99 {transport.P99Ms:F1} ms");
            var sustained = await load.MeasureAsync(requests, inFlight, "sustained, batching");
            log($"round {round}: sustained {sustained.PerSecond:N0}/s, p99 {sustained.P99Ms:F1} ms, failed {sustained.Failed}, lost {sustained.Lost}");
            measured.Add(new Round(round, bound, transport, sustained));
        }

        return measured;
    }

    /// <summary>
    /// Requests by reference (series + asOf, no candles): the same windows, now stored in Redis, asked for by the openTime
    /// of their newest candle, so that Inference reads each from the store (an older window is not in its recent-candles
    /// cache: every request reads its openTimes and all the window's values). <c>rounds</c> sustained rounds, then light load.
    /// The by-value windows are sent again afterwards.
    /// </summary>
    async Task<(List<LatencyFigure> Sustained, LatencyFigure Light)> MeasureByReferenceAsync(InferenceLoad load, ICandleStore store, List<Candle> candles,
        int length)
    {
        await store.AppendAsync(Series, candles, null);
        var byValue = load.Windows;
        load.Windows = [.. Starts(candles, length).Select(start => new RawTradingClient.Template(new PredictionRequested
        {
            RequestId = Guid.Empty, Exchange = Series.Exchange, Symbol = Series.Symbol, Interval = Series.Interval,
            AsOf = candles[start + length - 1].OpenTime,
        }))];
        try
        {
            await load.MeasureAsync(requests, inFlight, "warm-up (by reference)");
            var sustained = new List<LatencyFigure>();
            for (var round = 1; round <= rounds; round++)
            {
                var figure = await load.MeasureAsync(requests, inFlight, "by reference, batching");
                log($"by reference, round {round}: {figure.PerSecond:N0}/s, p99 {figure.P99Ms:F1} ms, failed {figure.Failed}, lost {figure.Lost}");
                sustained.Add(figure);
            }

            var light = await load.MeasureAsync(Math.Min(1_500, requests), 1, "by reference, light load (1 in flight)");
            log($"by reference, light load p50 {light.P50Ms:F2} ms, p99 {light.P99Ms:F2} ms, failed {light.Failed}, lost {light.Lost}");
            return (sustained, light);
        }
        finally
        {
            load.Windows = byValue;
        }
    }

    /// <summary>Open-loop load at 10%, 50% and 90% of the measured capacity, 10 s each.</summary>
    async Task<List<LoadLevel>> MeasureLevelsAsync(InferenceLoad load, double capacity)
    {
        var levels = new List<LoadLevel>();
        foreach (var fraction in new[] { 0.1, 0.5, 0.9 })
        {
            var rate = fraction * capacity;
            var level = await load.MeasureAtRateAsync(rate, TimeSpan.FromSeconds(10), $"open loop at {fraction:P0} of capacity ({rate:N0}/s)");
            log($"{level.Scenario}: answered {level.PerSecond:N0}/s, p50 {level.P50Ms:F2} ms, p99 {level.P99Ms:F2} ms, lost {level.Lost}");
            levels.Add(new LoadLevel(fraction, rate, level));
        }

        return levels;
    }

    /// <summary>Resident and managed memory over <c>memoryPredictions</c> predictions, read every fifth of the way.</summary>
    async Task<(long Before, long After, long ManagedBefore, long ManagedAfter, List<long> Readings)> MeasureMemoryAsync(InferenceLoad load)
    {
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
            await load.MeasureAsync(n, inFlight, "memory");
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
        return (before, after, managedBefore, managedAfter, readings);
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

    /// <summary><paramref name="parallel"/> batch-32 forward passes at once, each on its own thread with one libtorch thread, as the worker runs them.</summary>
    static double ParallelForwardRate(LoadedModel served, float[] window, int parallel, int workerThreads, TimeSpan duration)
    {
        var batch = new float[32 * window.Length];
        for (var i = 0; i < 32; i++)
            window.CopyTo(batch, i * window.Length);
        var m = served.Manifest;
        set_num_threads(1);
        try
        {
            for (var i = 0; i < 5; i++)
                Predictor.PredictProbabilities(served.Model, batch, 32, m.WindowSize, m.FeatureNames.Count, 32, CPU);
            var forwards = 0;
            var watch = Stopwatch.StartNew();
            var threads = Enumerable.Range(0, parallel).Select(_ => new Thread(() =>
            {
                while (watch.Elapsed < duration)
                {
                    Predictor.PredictProbabilities(served.Model, batch, 32, m.WindowSize, m.FeatureNames.Count, 32, CPU);
                    Interlocked.Increment(ref forwards);
                }
            })).ToList();
            threads.ForEach(t => t.Start());
            threads.ForEach(t => t.Join());
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
    internal static List<RawTradingClient.Template> Templates(List<Candle> candles, int length)
    {
        return Starts(candles, length).Select(start => new RawTradingClient.Template(new PredictionRequested
            {
                RequestId = Guid.Empty, Exchange = Series.Exchange, Symbol = Series.Symbol, Interval = Series.Interval,
                Candles = candles.GetRange(start, length),
            })).ToList();
    }

    /// <summary>The first candle of each of the <see cref="Windows"/> windows, spread over the market.</summary>
    static IEnumerable<int> Starts(List<Candle> candles, int length)
    {
        var step = Math.Max(1, (candles.Count - length) / Windows);
        return Enumerable.Range(0, Windows).Select(i => Math.Min(i * step, candles.Count - length)).Distinct();
    }

    static long Resident()
    {
        using var process = Process.GetCurrentProcess();
        return process.WorkingSet64;
    }
}
