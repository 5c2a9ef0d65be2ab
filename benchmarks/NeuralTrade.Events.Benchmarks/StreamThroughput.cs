using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using NeuralTrade.Events.Contracts;
using NeuralTrade.Events.MarketData;
using NeuralTrade.Events.Messaging;
using NeuralTrade.Events.Modeling;
using NeuralTrade.Events.Stores;
using NeuralTrade.Events.Workers.Inference;
using NeuralTrade.Events.Workers.Ingest;
using NeuralTrade.Events.Workers.Monitor;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using static TorchSharp.torch;

namespace NeuralTrade.Events.Benchmarks;

/// <summary>
/// The fleet's main traffic: at each close, N series' new candles arrive together, as a feed sends them (one
/// <c>market.candles</c> per series, all published at once, persistent, confirmed), and every series' streamed
/// <c>prediction.completed</c> is awaited by a subscriber of the public contract. Ingest and Inference run as they deploy
/// (one host, the shipped defaults), each series with its own champion (one trained model bound to each series by its
/// manifest and registered, as the Registry does), each with the history its features need already stored.
/// Measured per close: the time from the close's first publish to each series' prediction (p50, p99, max) and the close's
/// rate, N ÷ (last prediction − first publish). The bound, in alternated rounds of the same run: the same N predictions
/// in process (each series' model on its window, features already computed), with every libtorch thread setting tried.
/// </summary>
/// <param name="oneMessage">The feed sends a close as one <c>market.candles</c> holding every series' candle (the contract allows
/// any mix of series) instead of one message per series.</param>
/// <param name="monitor">Monitor runs in the same host, as it deploys beside them: every data.ingested is also checked for drift,
/// and each check's duration (its own histogram, neuraltrade.monitor.check.duration) is reported per series count.</param>
internal sealed class StreamThroughput(string rabbitUrl, string managementUrl, string redisUrl, IReadOnlyList<int> seriesCounts, int closes, int rounds,
    bool oneMessage, Hyperparameters hp, Action<string> log, bool monitor = false)
{
    const string Venue = "bench";
    const string SubscriberQueue = "bench-stream-subscriber";
    static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    const int WarmUpCloses = 3;

    internal static SeriesKey SeriesOf(int i) => new(Venue, $"S{i:D3}/USDT", "1m");

    public sealed record Close(int Series, double P50Ms, double P99Ms, double MaxMs, double Seconds, int Lost)
    {
        public double PerSecond => (Series - Lost) / Seconds;
    }

    public sealed record Bound(string Setting, double PerSecond);

    public sealed record StreamRound(int Round, IReadOnlyList<Bound> Bounds, double FeaturesAndForwardPerSecond, IReadOnlyList<Close> Closes, double InsideP50Ms,
        double InsideP99Ms)
    {
        public double BoundPerSecond => Bounds.Max(b => b.PerSecond);
        public double PerSecond => Closes.Sum(c => c.Series - c.Lost) / Closes.Sum(c => c.Seconds);
    }

    public sealed record SeriesFigures(int Series, IReadOnlyList<StreamRound> Rounds, double P50Ms, double P99Ms, double MaxMs, int Predictions, int Lost,
        MonitorChecks? Monitor = null)
    {
        public double BestBoundPerSecond => Rounds.Max(r => r.BoundPerSecond);
        public double BestPerSecond => Rounds.Max(r => r.PerSecond);
        public string BestBoundSetting => Rounds.SelectMany(r => r.Bounds).MaxBy(b => b.PerSecond)!.Setting;
    }

    /// <summary>Monitor's checks during the measured closes of one series count: one per data.ingested, each its duration.</summary>
    public sealed record MonitorChecks(int Checks, double P50Ms, double P99Ms, double MaxMs);

    /// <summary>The Inference host with <paramref name="Models"/> champions loaded: its resident memory, and the swaps that loaded them since the previous reading.</summary>
    public sealed record Serving(int Models, double ResidentMiB, double ManagedMiB, double SwapP50Ms, double SwapP99Ms, double SwapMaxMs);

    public sealed record Figures(IReadOnlyList<SeriesFigures> Counts, double SingleForwardP50Ms, double SingleForwardP99Ms, double BrokerRoundTripP50Ms,
        double BrokerRoundTripP99Ms, int Closes, bool OneMessagePerClose, double ResidentBeforeModelsMiB, IReadOnlyList<Serving> Serving);

    public async Task<Figures> RunAsync()
    {
        var most = seriesCounts.Max();
        var first = SeriesOf(0);
        var market = new MarketSimulator(new SimulatedMarket { Exchange = first.Exchange, Symbol = first.Symbol, Seed = 3 }).Generate(3_000).ToList();
        log($"training a model for one epoch (window {hp.WindowSize}, hidden {hp.HiddenSize}×{hp.NumLayers}), to be bound to each of {most} series…");
        var trained = ModelTraining.Run(ModelNames.For(first), first, market, hp, CPU);
        using var template = ModelArtifact.Read(trained.Artifact, null);

        // Each series: its own simulated market, the history its features need stored, and one new candle per close to come.
        var stored = ServingWindow.CandlesWanted(template) + 8;
        var perSeries = stored + seriesCounts.Count * rounds * (closes + WarmUpCloses) + 1;
        log($"simulating {most} series of {perSeries:N0} candles ({stored} stored before the first close)…");
        var candles = Enumerable.Range(0, most).AsParallel().AsOrdered()
            .Select(i => new MarketSimulator(new SimulatedMarket { Exchange = Venue, Symbol = SeriesOf(i).Symbol, Seed = 100 + i }).Generate(perSeries).ToArray())
            .ToArray();
        var next = Enumerable.Repeat(stored, most).ToArray();

        var directory = Path.Combine(Path.GetTempPath(), "nt-stream-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(directory);
        await using var broker = await BenchBroker.CreateAsync(rabbitUrl, managementUrl, redisUrl);
        try
        {
            using var host = await broker.StartHostAsync(directory, "bench-stream", builder =>
            {
                builder.AddIngestWorker();
                builder.AddInferenceWorker();
                if (monitor)
                    builder.AddMonitorWorker();
            });
            var checks = new ConcurrentQueue<double>();
            using var listener = new System.Diagnostics.Metrics.MeterListener();
            if (monitor)
            {
                listener.InstrumentPublished = (instrument, l) =>
                {
                    if (instrument.Meter.Name == MonitorTelemetry.Name && instrument.Name == "neuraltrade.monitor.check.duration")
                        l.EnableMeasurementEvents(instrument);
                };
                listener.SetMeasurementEventCallback<double>((_, value, _, _) => checks.Enqueue(value));
                listener.Start();
            }
            var store = host.Services.GetRequiredService<ICandleStore>();
            await Parallel.ForEachAsync(Enumerable.Range(0, most), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, ct) =>
                await store.AppendAsync(SeriesOf(i), candles[i][..stored], receipt: null, ct));
            var (residentBefore, serving) = await DeployAsync(host.Services, template, most, directory, seriesCounts);
            foreach (var reading in serving)
                log($"{reading.Models} champions loaded: resident {reading.ResidentMiB:N0} MiB ({(reading.ResidentMiB - residentBefore) / reading.Models:N1} MiB a model over "
                    + $"{residentBefore:N0} MiB before), managed {reading.ManagedMiB:N0} MiB; swaps p50 {reading.SwapP50Ms:F1} ms, p99 {reading.SwapP99Ms:F1} ms, max {reading.SwapMaxMs:F1} ms");

            var catalog = host.Services.GetRequiredService<ModelCatalog>();
            var (singleP50, singleP99) = SingleForward(catalog.Current(ModelNames.For(first))!.Model, candles[0][..stored]);
            log($"in process: single forward p50 {singleP50:F2} ms, p99 {singleP99:F2} ms");

            await using var feed = await Feed.ConnectAsync(broker.Url);
            var (rtP50, rtP99) = await feed.RoundTripAsync(1_000);
            log($"RabbitMQ round trip (publish confirmed → delivered, 1 in flight): p50 {rtP50:F3} ms, p99 {rtP99:F3} ms");

            var results = new List<SeriesFigures>();
            foreach (var n in seriesCounts)
            {
                var measured = new List<StreamRound>();
                var monitorChecks = new List<double>();
                for (var round = 1; round <= rounds; round++)
                {
                    var work = Enumerable.Range(0, n).Select(i => (Model: catalog.Current(ModelNames.For(SeriesOf(i)))!.Model,
                        Candles: candles[i][(next[i] - stored + 1)..(next[i] + 1)])).ToList();
                    var bounds = Bounds(work.Select(w => (w.Model, ServingWindow.Latest(w.Model, w.Candles))).ToList());
                    var compute = FeaturesAndForwardRate(work);
                    log($"{n} series, round {round}: in process {string.Join(", ", bounds.Select(b => $"{b.Setting} {b.PerSecond:N0}/s"))}; " +
                        $"features + forward {compute:N0}/s");

                    // The first closes after a pause pay for cold caches, and a young process for the JIT: a worker runs for days,
                    // so each round starts with three unmeasured closes and a second for the background JIT to finish.
                    for (var w = 0; w < WarmUpCloses; w++)
                        await CloseAsync(feed, candles, next, n, "warm-up");
                    await Task.Delay(TimeSpan.FromSeconds(1));
                    feed.Inside.Clear();
                    checks.Clear();
                    var measuredCloses = new List<Close>();
                    for (var c = 0; c < closes; c++)
                        measuredCloses.Add(await CloseAsync(feed, candles, next, n, null));
                    monitorChecks.AddRange(checks);
                    List<double> inside = [.. feed.Insides()];
                    var r = new StreamRound(round, bounds, compute, measuredCloses, InferenceLoad.Percentile(inside, 0.5), InferenceLoad.Percentile(inside, 0.99));
                    log($"{n} series, round {round}: fleet {r.PerSecond:N0} predictions/s over {closes} closes; per close p50 " +
                        $"{Median(measuredCloses.Select(x => x.P50Ms)):F1} ms, p99 {Median(measuredCloses.Select(x => x.P99Ms)):F1} ms, max " +
                        $"{measuredCloses.Max(x => x.MaxMs):F1} ms; lost {measuredCloses.Sum(x => x.Lost)}; inside Inference (consume → answer) p50 {r.InsideP50Ms:F1} ms, " +
                        $"p99 {r.InsideP99Ms:F1} ms");
                    measured.Add(r);
                }

                var all = feed.Latencies(n);
                MonitorChecks? monitored = null;
                if (monitor)
                {
                    monitored = new MonitorChecks(monitorChecks.Count, InferenceLoad.Percentile(monitorChecks, 0.5), InferenceLoad.Percentile(monitorChecks, 0.99),
                        monitorChecks.Count == 0 ? double.NaN : monitorChecks.Max());
                    log($"{n} series: Monitor checked {monitored.Checks:N0} data.ingested during the measured closes; check p50 {monitored.P50Ms:F2} ms, "
                        + $"p99 {monitored.P99Ms:F2} ms, max {monitored.MaxMs:F2} ms");
                }

                results.Add(new SeriesFigures(n, measured, InferenceLoad.Percentile(all, 0.5), InferenceLoad.Percentile(all, 0.99), all.Count == 0 ? double.NaN : all.Max(),
                    all.Count, measured.Sum(r => r.Closes.Sum(c => c.Lost)), monitored));
            }

            await host.StopAsync();
            return new Figures(results, singleP50, singleP99, rtP50, rtP99, closes, oneMessage, residentBefore, serving);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>
    /// One close: the next candle of each of the first <paramref name="n"/> series published at once, then every series'
    /// prediction for it awaited. Latencies are from the close's first publish.
    /// </summary>
    async Task<Close> CloseAsync(Feed feed, Candle[][] candles, int[] next, int n, string? warmUp)
    {
        var close = Enumerable.Range(0, n).Select(i => candles[i][next[i]++]).ToArray();
        var (latencies, seconds, lost) = await feed.CloseAsync(close, Patience, record: warmUp is null, oneMessage);
        if (lost > 0)
            log($"{n} series: {lost} predictions of a close did not arrive within {Patience.TotalSeconds:N0} s");
        return new Close(n, InferenceLoad.Percentile(latencies, 0.5), InferenceLoad.Percentile(latencies, 0.99), latencies.Count == 0 ? double.NaN : latencies.Max(),
            seconds, lost);
    }

    /// <summary>
    /// The same model bound to each series (its manifest names the series' model), registered and made champion as the
    /// Registry does, then loaded by Inference's own swap (read, verify, load, publish to the catalog), timed. The
    /// process's resident memory before the first and after each of <paramref name="readings"/> models.
    /// </summary>
    static async Task<(double ResidentBeforeMiB, List<Serving> Serving)> DeployAsync(IServiceProvider services, LoadedModel template, int count,
        string directory, IReadOnlyList<int> readings)
    {
        var registry = services.GetRequiredService<IModelRegistryStore>();
        var swapper = services.GetRequiredService<ModelSwapper>();
        var before = Resident();
        var serving = new List<Serving>();
        var swaps = new List<double>();
        for (var i = 0; i < count; i++)
        {
            var name = ModelNames.For(SeriesOf(i));
            var bytes = ModelArtifact.Write(template.Manifest with { ModelName = name, Training = template.Manifest.Training with { Series = SeriesOf(i).ToString() } },
                template.Model);
            var path = Path.Combine(directory, $"{i}{ModelArtifact.FileExtension}");
            await File.WriteAllBytesAsync(path, bytes);
            var version = await registry.AddVersionAsync(new RegisteredVersion(name, 0, $"bench-{i}",
                new ArtifactRef(new Uri(path).AbsoluteUri, ModelArtifact.Sha256(bytes), bytes.LongLength), template.Manifest.Metrics, DateTimeOffset.UtcNow,
                RegisteredVersion.Local));
            await registry.PromoteAsync(name, version.Version);
            var clock = Stopwatch.StartNew();
            if (!await swapper.SwapAsync(name, version.Version, version.Artifact, CancellationToken.None))
                throw new InvalidOperationException($"{name} v{version.Version} was not loaded");
            swaps.Add(clock.Elapsed.TotalMilliseconds);
            if (readings.Contains(i + 1))
            {
                var resident = Resident();
                serving.Add(new Serving(i + 1, resident, GC.GetTotalMemory(forceFullCollection: false) / 1048576.0, InferenceLoad.Percentile(swaps, 0.5),
                    InferenceLoad.Percentile(swaps, 0.99), swaps.Max()));
                swaps.Clear();
            }
        }

        return (before, serving);
    }

    /// <summary>This process's resident memory after a full collection, MiB.</summary>
    static double Resident()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        using var process = Process.GetCurrentProcess();
        return process.WorkingSet64 / 1048576.0;
    }

    /// <summary>
    /// The N predictions in process, windows already computed: each series' model on its window, one after the other
    /// (1 or 2 libtorch threads) and on two threads at once (1 libtorch thread each). Each setting runs for at least a second.
    /// </summary>
    static List<Bound> Bounds(List<(LoadedModel Model, float[] Window)> work)
    {
        var workerThreads = new InferenceOptions().TorchThreads;
        var bounds = new List<Bound>();
        try
        {
            foreach (var threads in new[] { 1, 2 })
            {
                set_num_threads(threads);
                bounds.Add(new Bound($"1 × {threads} torch thread{(threads > 1 ? "s" : "")}", Rate(work.Count, () =>
                {
                    foreach (var (model, window) in work)
                        Forward(model, window);
                })));
            }

            set_num_threads(1);
            var halves = work.Chunk((work.Count + 1) / 2).ToArray();
            bounds.Add(new Bound("2 × 1 torch thread", Rate(work.Count, () => Parallel.ForEach(halves, new ParallelOptions { MaxDegreeOfParallelism = 2 }, half =>
            {
                set_num_threads(1); // per OS thread: a pool thread that never set it runs one libtorch thread per core
                foreach (var (model, window) in half)
                    Forward(model, window);
            }))));
        }
        finally
        {
            set_num_threads(workerThreads);
        }

        return bounds;
    }

    /// <summary>What the worker computes per series in process, features from the candles included (two threads, one libtorch thread each).</summary>
    static double FeaturesAndForwardRate(List<(LoadedModel Model, Candle[] Candles)> work)
    {
        var halves = work.Chunk((work.Count + 1) / 2).ToArray();
        return Rate(work.Count, () => Parallel.ForEach(halves, new ParallelOptions { MaxDegreeOfParallelism = 2 }, half =>
        {
            set_num_threads(1);
            foreach (var (model, candles) in half)
                Forward(model, ServingWindow.Latest(model, candles));
        }));
    }

    static void Forward(LoadedModel model, float[] window)
    {
        var m = model.Manifest;
        Predictor.PredictProbabilities(model.Model, window, 1, m.WindowSize, m.FeatureNames.Count, 1, CPU, model.Temperature);
    }

    /// <summary>Items per second of <paramref name="pass"/> (which handles <paramref name="items"/>), repeated for at least a second after one warm-up pass.</summary>
    static double Rate(int items, Action pass)
    {
        pass();
        var passes = 0;
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < TimeSpan.FromSeconds(1))
        {
            pass();
            passes++;
        }

        return passes * items / watch.Elapsed.TotalSeconds;
    }

    /// <summary>p50 and p99 of 400 single forward passes of the served model (1 libtorch thread, as the worker runs).</summary>
    static (double P50, double P99) SingleForward(LoadedModel model, Candle[] candles)
    {
        var window = ServingWindow.Latest(model, candles);
        var times = new List<double>(400);
        for (var i = 0; i < 450; i++)
        {
            var start = Stopwatch.GetTimestamp();
            Forward(model, window);
            if (i >= 50)
                times.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        }

        return (InferenceLoad.Percentile(times, 0.5), InferenceLoad.Percentile(times, 0.99));
    }

    static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length == 0 ? double.NaN : sorted[sorted.Length / 2];
    }

    /// <summary>
    /// The feed and the subscriber, speaking the public JSON contract over AMQP as a program in any language would: the
    /// feed publishes persistent <c>market.candles</c> with confirms, the subscriber reads <c>prediction.completed</c>
    /// from its own queue, only as far as the series and asOf, and acknowledges each.
    /// </summary>
    sealed class Feed : IAsyncDisposable
    {
        const int Channels = 4;
        const string PingQueue = "bench-ping";
        readonly IConnection _connection;
        readonly IChannel[] _publishers;
        readonly IChannel _consumer;
        readonly ConcurrentDictionary<(string Symbol, long AsOf), int> _pending = new();
        readonly ConcurrentDictionary<int, List<double>> _latencies = new();
        long[] _arrived = [];
        int _remaining;
        TaskCompletionSource _done = new();
        TaskCompletionSource<long>? _ping;

        Feed(IConnection connection, IChannel[] publishers, IChannel consumer)
        {
            _connection = connection;
            _publishers = publishers;
            _consumer = consumer;
        }

        public static async Task<Feed> ConnectAsync(string url)
        {
            var factory = new ConnectionFactory { Uri = new Uri(url), ClientProvidedName = "neuraltrade-benchmark-feed" };
            var connection = await factory.CreateConnectionAsync();
            var publishers = new IChannel[Channels];
            for (var i = 0; i < Channels; i++)
                publishers[i] = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true));
            var consumer = await connection.CreateChannelAsync();
            await consumer.ExchangeDeclareAsync(Exchanges.MarketCandles, ExchangeType.Fanout, durable: true);
            await consumer.ExchangeDeclareAsync(Exchanges.PredictionCompleted, ExchangeType.Fanout, durable: true);
            await consumer.QueueDeclareAsync(SubscriberQueue, durable: true, exclusive: false, autoDelete: false);
            await consumer.QueueBindAsync(SubscriberQueue, Exchanges.PredictionCompleted, "");
            await consumer.QueueDeclareAsync(PingQueue, durable: true, exclusive: false, autoDelete: false);
            await consumer.BasicQosAsync(0, 1_000, false);
            var feed = new Feed(connection, publishers, consumer);
            var receiver = new AsyncEventingBasicConsumer(consumer);
            receiver.ReceivedAsync += feed.OnDeliveryAsync;
            await consumer.BasicConsumeAsync(SubscriberQueue, autoAck: false, receiver);
            await consumer.BasicConsumeAsync(PingQueue, autoAck: false, receiver);
            return feed;
        }

        /// <summary>The worker's own latency of each prediction received (latencyMs: from its consume to its answer).</summary>
        public ConcurrentQueue<double> Inside { get; } = new();

        public IEnumerable<double> Insides() => Inside;

        /// <summary>Every latency recorded for closes of <paramref name="series"/> series.</summary>
        public List<double> Latencies(int series) => _latencies.TryGetValue(series, out var list) ? list : [];

        /// <summary>A persistent, confirmed publish of a small body to a queue and its delivery back, one at a time.</summary>
        public async Task<(double P50, double P99)> RoundTripAsync(int count)
        {
            var times = new List<double>(count);
            var body = "{}"u8.ToArray();
            for (var i = 0; i < count + 50; i++)
            {
                _ping = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
                var start = Stopwatch.GetTimestamp();
                await _publishers[0].BasicPublishAsync("", PingQueue, mandatory: false,
                    basicProperties: new BasicProperties { DeliveryMode = DeliveryModes.Persistent }, body: body);
                var arrived = await _ping.Task.WaitAsync(TimeSpan.FromSeconds(10));
                if (i >= 50)
                    times.Add(Stopwatch.GetElapsedTime(start, arrived).TotalMilliseconds);
            }

            _ping = null;
            return (InferenceLoad.Percentile(times, 0.5), InferenceLoad.Percentile(times, 0.99));
        }

        /// <summary>Publishes one candle per series at once and waits for each series' prediction for it.</summary>
        public async Task<(List<double> Latencies, double Seconds, int Lost)> CloseAsync(Candle[] close, TimeSpan patience, bool record, bool oneMessage)
        {
            _pending.Clear();
            _arrived = new long[close.Length];
            for (var i = 0; i < close.Length; i++)
                _pending[(close[i].Symbol, close[i].OpenTime.ToUnixTimeMilliseconds())] = i;
            var bodies = (oneMessage ? close.Chunk(10_000) : close.Select(c => new[] { c }))
                .Select(c => JsonSerializer.SerializeToUtf8Bytes(new MarketCandles { Candles = c, Source = "bench-feed" }, ContractJson.Options)).ToArray();
            _done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Volatile.Write(ref _remaining, close.Length);

            var start = Stopwatch.GetTimestamp();
            var publishes = new Task[bodies.Length];
            for (var i = 0; i < bodies.Length; i++)
            {
                var properties = new BasicProperties
                {
                    ContentType = "application/json", MessageId = Guid.NewGuid().ToString(), DeliveryMode = DeliveryModes.Persistent,
                };
                publishes[i] = _publishers[i % Channels].BasicPublishAsync(Exchanges.MarketCandles, "", mandatory: false, basicProperties: properties,
                    body: bodies[i]).AsTask();
            }

            await Task.WhenAll(publishes);
            var lost = 0;
            try
            {
                await _done.Task.WaitAsync(patience);
            }
            catch (TimeoutException)
            {
                lost = Volatile.Read(ref _remaining);
            }

            var arrived = _arrived.Where(a => a != 0).ToArray();
            var latencies = arrived.Select(a => Stopwatch.GetElapsedTime(start, a).TotalMilliseconds).ToList();
            var seconds = arrived.Length == 0 ? patience.TotalSeconds : Stopwatch.GetElapsedTime(start, arrived.Max()).TotalSeconds;
            if (record)
                _latencies.GetOrAdd(close.Length, _ => []).AddRange(latencies);
            return (latencies, seconds, lost);
        }

        async Task OnDeliveryAsync(object sender, BasicDeliverEventArgs delivery)
        {
            var now = Stopwatch.GetTimestamp();
            if (delivery.RoutingKey == PingQueue && delivery.Exchange.Length == 0)
                _ping?.TrySetResult(now);
            else if (Read(delivery.Body.Span) is { } key && _pending.TryRemove(key, out var index))
            {
                _arrived[index] = now;
                if (Interlocked.Decrement(ref _remaining) == 0)
                    _done.TrySetResult();
            }

            await _consumer.BasicAckAsync(delivery.DeliveryTag, multiple: false);
        }

        /// <summary>The symbol and asOf of a prediction; everything else is skipped unread.</summary>
        (string, long)? Read(ReadOnlySpan<byte> body)
        {
            var reader = new Utf8JsonReader(body);
            string? symbol = null;
            long? asOf = null;
            double? inside = null;
            reader.Read();
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isSymbol = reader.ValueTextEquals("symbol"u8);
                var isAsOf = !isSymbol && reader.ValueTextEquals("asOf"u8);
                var isLatency = !isSymbol && !isAsOf && reader.ValueTextEquals("latencyMs"u8);
                reader.Read();
                if (isSymbol && reader.TokenType == JsonTokenType.String)
                    symbol = reader.GetString();
                else if (isAsOf && reader.TokenType == JsonTokenType.String)
                    asOf = reader.GetDateTimeOffset().ToUnixTimeMilliseconds();
                else if (isLatency && reader.TokenType == JsonTokenType.Number)
                    inside = reader.GetDouble();
                else
                    reader.Skip();
            }

            if (inside is { } ms)
                Inside.Enqueue(ms);
            return symbol is null || asOf is null ? null : (symbol, asOf.Value);
        }

        public async ValueTask DisposeAsync()
        {
            await _consumer.CloseAsync();
            foreach (var channel in _publishers)
                await channel.CloseAsync();
            await _connection.CloseAsync();
            _connection.Dispose();
        }
    }
}
