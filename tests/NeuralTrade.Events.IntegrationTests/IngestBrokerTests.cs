using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using NeuralTrade.Events.Contracts;
using NeuralTrade.Events.MarketData;
using NeuralTrade.Events.Stores;
using NeuralTrade.Events.Testing;
using NeuralTrade.Events.Workers.Ingest;

namespace NeuralTrade.Events.IntegrationTests;

/// <summary>The Ingest worker on a real RabbitMQ and Redis, driven by a client that only knows the public JSON contract.</summary>
public sealed class IngestBrokerTests : BrokerTest
{
    static readonly SeriesKey Btc = new("binance", "BTC/USDT", "1m");

    Task StartIngestAsync(IDictionary<string, string?>? settings = null, Action<IServiceCollection>? services = null) =>
        StartHostAsync(b => b.AddIngestWorker(), settings, services);

    [Test]
    public async Task Valid_batch_from_a_plain_amqp_feed_is_stored_and_announced_as_raw_json()
    {
        await StartIngestAsync();
        var ingested = await Amqp.TapAsync(Exchanges.DataIngested);
        var candles = TestCandles.Series(100);

        await Amqp.PublishAsync(Exchanges.MarketCandles, TestCandles.Body(candles), messageId: "feed-42");

        var delivery = (await ingested.WaitForCountAsync(1)).Single();
        var body = delivery.Json;
        Assert.Multiple(() =>
        {
            Assert.That(delivery.Properties.ContentType, Is.EqualTo("application/json"));
            Assert.That(delivery.Properties.Persistent, Is.True);
            Assert.That(body.TryGetProperty("message", out _), Is.False, "no MassTransit envelope on a public exchange");
            Assert.That(delivery.Properties.MessageId, Is.EqualTo(body.GetProperty("eventId").GetString()));
            Assert.That(delivery.Properties.CorrelationId, Is.EqualTo(body.GetProperty("correlationId").GetString()));
            Assert.That(body.GetProperty("schemaVersion").GetInt32(), Is.EqualTo(1));
            Assert.That(body.GetProperty("symbol").GetString(), Is.EqualTo("BTC/USDT"));
            Assert.That(body.GetProperty("candles").GetArrayLength(), Is.EqualTo(100));
            Assert.That(body.GetProperty("candles")[0].GetProperty("close").ValueKind, Is.EqualTo(JsonValueKind.Number));
            Assert.That(body.GetProperty("firstOpenTime").GetString(), Is.EqualTo("2024-01-15T10:00:00Z"));
            Assert.That(body.GetProperty("lastOpenTime").GetString(), Is.EqualTo("2024-01-15T11:39:00Z"));
        });
        Assert.That(await CandleStore.GetRangeAsync(Btc), Is.EqualTo(candles));
    }

    [Test]
    public async Task A_full_dead_letter_queue_keeps_new_letters_in_the_work_queue_without_looping_and_loses_none()
    {
        // ingest_error takes one letter, then refuses (reject-publish): the 1 GiB cap of the shipped policy, made small.
        var vhost = Uri.EscapeDataString(VirtualHost);
        await Management.PutAsync($"api/policies/{vhost}/tiny-dead-letters", new Dictionary<string, object>
        {
            ["pattern"] = "^ingest_error$", ["apply-to"] = "queues", ["priority"] = 20,
            ["definition"] = new Dictionary<string, object> { ["max-length"] = 1, ["overflow"] = "reject-publish" },
        });
        await StartIngestAsync(new Dictionary<string, string?> { ["Messaging:DeliveryLimit"] = "4" });
        var ingested = await Amqp.TapAsync(Exchanges.DataIngested);

        // One at a time: a quorum queue checks its limit as it enqueues, so letters arriving together could all fit.
        await using var probe = await new RabbitMQ.Client.ConnectionFactory { Uri = new Uri(Services.UrlFor(VirtualHost)) }.CreateConnectionAsync();
        await using var channel = await probe.CreateChannelAsync();
        async Task<uint> ErrorDepthAsync()
        {
            try
            {
                return (await channel.QueueDeclarePassiveAsync("ingest_error")).MessageCount;
            }
            catch (RabbitMQ.Client.Exceptions.OperationInterruptedException)
            {
                return 0;
            }
        }

        await Amqp.PublishAsync(Exchanges.MarketCandles, "this is not json", messageId: "bad-1");
        for (var i = 0; i < 100 && await ErrorDepthAsync() < 1; i++)
            await Task.Delay(100);
        foreach (var id in new[] { "bad-2", "bad-3" })
        {
            await Amqp.PublishAsync(Exchanges.MarketCandles, "this is not json", messageId: id);
            await Task.Delay(1_000);
        }

        await Amqp.PublishAsync(Exchanges.MarketCandles, TestCandles.Body(TestCandles.Series(5)), messageId: "good");
        await ingested.WaitForCountAsync(1, TimeSpan.FromSeconds(30)); // the worker goes on working

        async Task<(long Errors, long Redelivered)> CountsAsync()
        {
            var error = await Management.FindQueueAsync(VirtualHost, "ingest_error");
            var work = await Management.GetQueueAsync(VirtualHost, "ingest");
            var redelivered = work.TryGetProperty("message_stats", out var stats) && stats.TryGetProperty("redeliver", out var r) ? r.GetInt64() : 0;
            return (error is { } e && e.TryGetProperty("messages", out var m) ? m.GetInt64() : 0, redelivered);
        }

        await Task.Delay(TimeSpan.FromSeconds(12)); // the management figures lag about 5 s
        var first = await CountsAsync();
        await Task.Delay(TimeSpan.FromSeconds(8));
        var later = await CountsAsync();
        var work = await Management.GetQueueAsync(VirtualHost, "ingest");
        long Figure(string name) => work.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt64() : 0;
        var waiting = Figure("messages_dlx");
        TestContext.Out.WriteLine($"with ingest_error full: {later.Errors} letter(s) in it, {waiting} waiting in ingest's dead-letter backlog " +
            $"({Figure("message_bytes_dlx")} bytes), {Figure("messages_ready")} ready; ingest redelivered {first.Redelivered} then {later.Redelivered}");

        Assert.Multiple(() =>
        {
            Assert.That(later.Errors, Is.LessThan(3), "the full dead-letter queue refused letters (a quorum queue checks its limit as it enqueues)");
            Assert.That(later.Errors + waiting, Is.EqualTo(3), "none lost: every letter is in ingest_error or waits, at least once, in ingest's backlog");
            Assert.That(later.Redelivered, Is.EqualTo(first.Redelivered), "no loop: the refused letters are not redelivered again and again");
            Assert.That(Figure("messages_ready"), Is.Zero, "nothing left for the worker to take");
        });
    }

    [Test]
    public async Task Dead_letters_above_the_alarm_are_logged_as_an_error_and_measured()
    {
        var logs = new CapturedLogs();
        await StartIngestAsync(new Dictionary<string, string?> { ["Messaging:DeadLetterAlarm"] = "2", ["Messaging:DeadLetterCheckSeconds"] = "1" },
            s => s.AddSingleton<Microsoft.Extensions.Logging.ILoggerProvider>(logs));
        long gauge = -1;
        using var listener = new System.Diagnostics.Metrics.MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Name == "neuraltrade.dead_letters")
                l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            foreach (var tag in tags)
                if (tag.Key == "queue" && (string?)tag.Value == "ingest_error")
                    gauge = value;
        });
        listener.Start();

        await Amqp.PublishAsync(Exchanges.MarketCandles, "not json", messageId: "dl-1");
        await Amqp.PublishAsync(Exchanges.MarketCandles, "{}", messageId: "dl-2");
        var deadline = System.Diagnostics.Stopwatch.StartNew();
        while (!logs.Errors.Any(e => e.Contains("Dead letters: ingest_error holds 2", StringComparison.Ordinal)) && deadline.Elapsed < TimeSpan.FromSeconds(30))
            await Task.Delay(200);
        listener.RecordObservableInstruments();

        Assert.That(logs.Errors, Has.Some.Contains("Dead letters: ingest_error holds 2 messages (alarm at 2)"), "the alarm is an error in the log");
        Assert.That(gauge, Is.EqualTo(2), "neuraltrade.dead_letters{queue=ingest_error}");
    }

    sealed class CapturedLogs : Microsoft.Extensions.Logging.ILoggerProvider, Microsoft.Extensions.Logging.ILogger
    {
        readonly System.Collections.Concurrent.ConcurrentQueue<string> _errors = new();

        public IReadOnlyList<string> Errors => [.. _errors];

        public Microsoft.Extensions.Logging.ILogger CreateLogger(string categoryName) => this;

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => logLevel >= Microsoft.Extensions.Logging.LogLevel.Error;

        public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state, Exception? exception,
            Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
                _errors.Enqueue(formatter(state, exception));
        }

        public void Dispose()
        {
        }
    }

    [Test]
    public async Task Mixed_batch_is_split_into_data_ingested_and_data_rejected_with_reasons()
    {
        await StartIngestAsync();
        var ingested = await Amqp.TapAsync(Exchanges.DataIngested);
        var rejected = await Amqp.TapAsync(Exchanges.DataRejected);
        var good = TestCandles.Series(3);
        object[] batch =
        [
            good[0],
            new { exchange = "binance", symbol = "BTC/USDT", interval = "1m", openTime = "2024-01-15T10:05:00Z", open = "oops", high = 2, low = 1, close = 1.5, volume = 1 },
            good[1],
            new { exchange = "binance", symbol = "BTC/USDT", interval = "9m", openTime = "2024-01-15T10:06:00Z", open = 1, high = 2, low = 1, close = 1.5, volume = 1 },
            good[2],
        ];

        await Amqp.PublishAsync(Exchanges.MarketCandles, TestCandles.Body(batch), messageId: "mixed-1");

        var accepted = (await ingested.WaitForCountAsync(1)).Single().Json;
        var refused = (await rejected.WaitForCountAsync(1)).Single().Json;
        Assert.That(accepted.GetProperty("candles").GetArrayLength(), Is.EqualTo(3));
        var reasons = refused.GetProperty("reasons").EnumerateArray()
            .Select(r => (r.GetProperty("index").GetInt32(), r.GetProperty("code").GetString(), r.GetProperty("field").GetString())).ToList();
        Assert.That(reasons, Is.EquivalentTo(new[] { (1, "wrong_type", "open"), (3, "unknown_interval", "interval") }));
        Assert.That(refused.GetProperty("candles")[0].GetProperty("open").GetString(), Is.EqualTo("oops"), "the candle as received");
        Assert.That(refused.GetProperty("source").GetString(), Is.EqualTo("test-feed"));
    }

    [Test]
    public async Task Duplicate_and_overlapping_messages_store_once_and_announce_only_new_candles()
    {
        // One message at a time, so that the sentinel's answer proves every earlier message was handled.
        await StartIngestAsync(new Dictionary<string, string?> { ["Ingest:ConcurrentMessageLimit"] = "1", ["Messaging:PrefetchCount"] = "1" });
        var ingested = await Amqp.TapAsync(Exchanges.DataIngested);
        var candles = TestCandles.Series(30);

        await Amqp.PublishAsync(Exchanges.MarketCandles, TestCandles.Body(candles[..20]), messageId: "batch-1");
        await Amqp.PublishAsync(Exchanges.MarketCandles, TestCandles.Body(candles[..20]), messageId: "batch-1");   // redelivered by the feed
        await Amqp.PublishAsync(Exchanges.MarketCandles, TestCandles.Body(candles[..20]), messageId: "batch-1b");  // same candles, new id
        await Amqp.PublishAsync(Exchanges.MarketCandles, TestCandles.Body(candles[10..]), messageId: "batch-2");   // half new
        await Amqp.PublishAsync(Exchanges.MarketCandles, TestCandles.Body(TestCandles.Series(1, symbol: "ETH/USDT")), messageId: "sentinel");

        var announced = await ingested.WaitAsync(r => r.Any(d => d.Json.GetProperty("symbol").GetString() == "ETH/USDT"));
        var btc = announced.Where(d => d.Json.GetProperty("symbol").GetString() == "BTC/USDT").Select(d => d.Json).ToList();
        Assert.That(btc.Select(b => b.GetProperty("candles").GetArrayLength()), Is.EqualTo(new[] { 20, 10 }));
        Assert.That(btc[1].GetProperty("firstOpenTime").GetString(), Is.EqualTo("2024-01-15T10:20:00Z"));
        Assert.That(await CandleStore.CountAsync(Btc), Is.EqualTo(30));
    }

    [Test]
    public async Task Conflicting_candle_is_rejected_and_the_stored_one_kept()
    {
        await StartIngestAsync();
        var ingested = await Amqp.TapAsync(Exchanges.DataIngested);
        var rejected = await Amqp.TapAsync(Exchanges.DataRejected);
        var original = TestCandles.One();

        await Amqp.PublishAsync(Exchanges.MarketCandles, TestCandles.Body([original]), messageId: "first");
        await ingested.WaitForCountAsync(1);
        await Amqp.PublishAsync(Exchanges.MarketCandles, TestCandles.Body([original with { High = 42400m }]), messageId: "second");

        var reason = (await rejected.WaitForCountAsync(1)).Single().Json.GetProperty("reasons")[0];
        Assert.That(reason.GetProperty("code").GetString(), Is.EqualTo("conflict"));
        Assert.That(reason.GetProperty("message").GetString(), Does.Contain("h=42300").And.Contain("h=42400"));
        Assert.That(await CandleStore.GetAsync(Btc, original.OpenTime), Is.EqualTo(original));
        Assert.That(ingested.Received, Has.Count.EqualTo(1));
    }

    [TestCase("this is not json {", "invalid JSON")]
    [TestCase("""{"candles":"all of them"}""", "'candles' must be an array")]
    [TestCase("""{"candles":[]}""", "holds 0 candles")]
    [TestCase("""{"source":"feed"}""", "no 'candles' array")]
    public async Task Malformed_body_is_dead_lettered_with_the_reason_and_the_worker_keeps_consuming(string body, string reason)
    {
        await StartIngestAsync();
        var ingested = await Amqp.TapAsync(Exchanges.DataIngested);

        await Amqp.PublishAsync(Exchanges.MarketCandles, body, messageId: "poison");
        await Amqp.PublishAsync(Exchanges.MarketCandles, TestCandles.Body(TestCandles.Series(5)), messageId: "after-poison");

        await ingested.WaitForCountAsync(1);
        List<Delivery> dead = [];
        for (var i = 0; i < 100 && dead.Count == 0; i++, await Task.Delay(50))
            dead = await Amqp.DrainAsync("ingest_error");
        var letter = dead.Single();
        Assert.That(letter.Body, Is.EqualTo(body), "the body is kept as it was sent");
        Assert.That((letter.Header("MT-Fault-Message") ?? "") + (letter.Header("MT-Fault-ExceptionType") ?? ""), Does.Contain(reason));
        Assert.That(letter.Header("MT-Fault-StackTrace"), Is.Not.Empty);
        Assert.That(letter.Header("MT-Fault-RetryCount") ?? "0", Is.EqualTo("0"), "bad input is not retried");
    }

    [Test]
    public async Task Two_instances_on_one_queue_store_and_announce_each_candle_once()
    {
        await StartIngestAsync();
        await StartIngestAsync();
        var ingested = await Amqp.TapAsync(Exchanges.DataIngested);
        var candles = TestCandles.Series(2_050);
        const int messages = 40;

        // Each message overlaps the previous one by half, so the instances race on the same candles.
        await Task.WhenAll(Enumerable.Range(0, messages).Select(i =>
            Amqp.PublishAsync(Exchanges.MarketCandles, TestCandles.Body(candles.Skip(i * 50).Take(100)), messageId: $"m{i}")));

        int Announced(IReadOnlyList<Delivery> r) => r.Sum(d => d.Json.GetProperty("candles").GetArrayLength());
        await ingested.WaitAsync(r => Announced(r) >= candles.Count, TimeSpan.FromSeconds(60), "every candle announced");
        await Task.Delay(500); // anything announced twice would arrive now
        var times = ingested.Received.SelectMany(d => d.Json.GetProperty("candles").EnumerateArray())
            .Select(c => c.GetProperty("openTime").GetString()).ToList();
        Assert.That(times, Has.Count.EqualTo(candles.Count));
        Assert.That(times, Is.Unique);
        Assert.That(await CandleStore.CountAsync(Btc), Is.EqualTo(candles.Count));
    }

    [Test]
    public async Task Message_redelivered_after_a_lost_connection_is_announced_once()
    {
        var store = new HangOnceAfterAppendStore();
        await StartIngestAsync(services: s => s.AddSingleton<ICandleStore>(sp =>
            store.Wrap(new RedisCandleStore(sp.GetRequiredService<StackExchange.Redis.IConnectionMultiplexer>(),
                sp.GetRequiredService<NeuralTrade.Events.Stores.RedisKeys>()))));
        var ingested = await Amqp.TapAsync(Exchanges.DataIngested);
        var candles = TestCandles.Series(25);

        await Amqp.PublishAsync(Exchanges.MarketCandles, TestCandles.Body(candles), messageId: "cut-off");
        await store.Stored.Task.WaitAsync(TimeSpan.FromSeconds(20));
        // The candles are in Redis but the message is not acknowledged: cut the worker's connection.
        Assert.That(await Management.CloseConnectionsAsync(VirtualHost, exceptClientName: RawAmqp.ClientName), Is.GreaterThanOrEqualTo(1));

        var announced = (await ingested.WaitForCountAsync(1, TimeSpan.FromSeconds(60))).Single().Json;
        await Task.Delay(500);
        Assert.That(ingested.Received, Has.Count.EqualTo(1));
        Assert.That(announced.GetProperty("candles").GetArrayLength(), Is.EqualTo(25), "the redelivery reports what the lost attempt stored");
        Assert.That(await CandleStore.CountAsync(Btc), Is.EqualTo(25));
    }

    /// <summary>Stores, then never returns, once: a worker that dies between its write and its acknowledgement.</summary>
    sealed class HangOnceAfterAppendStore
    {
        int _hung;
        public TaskCompletionSource Stored { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public ICandleStore Wrap(ICandleStore inner) => new Store(inner, this);

        sealed class Store(ICandleStore inner, HangOnceAfterAppendStore owner) : DelegatingCandleStore(inner)
        {
            public override async Task<AppendResult> AppendAsync(SeriesKey series, IReadOnlyList<Candle> candles, string? receipt,
                CancellationToken cancellationToken = default)
            {
                var result = await Inner.AppendAsync(series, candles, receipt, cancellationToken);
                if (Interlocked.Exchange(ref owner._hung, 1) == 0)
                {
                    owner.Stored.TrySetResult();
                    await Task.Delay(Timeout.Infinite, CancellationToken.None);
                }

                return result;
            }
        }
    }
}

/// <summary>The store contract on a real Redis.</summary>
[Category("Broker")]
public sealed class RedisCandleStoreTests : CandleStoreContract
{
    RedisScratch? _redis;

    protected override ICandleStore Store => new RedisCandleStore(_redis!.Redis, _redis.Keys);

    [SetUp]
    public async Task Connect() => _redis = await RedisScratch.CreateAsync();

    [TearDown]
    public async Task Clean()
    {
        if (_redis is not null)
            await _redis.DisposeAsync();
    }
}

/// <summary>
/// The store contract on a real Redis through a store that keeps the decoded candles it read (Inference's), and what
/// the cache must never hide: candles stored after a read by another instance, at the end and in a hole.
/// </summary>
[Category("Broker")]
public sealed class CachedRedisCandleStoreTests : CandleStoreContract
{
    static readonly SeriesKey Series = new("binance", "BTC/USDT", "1m");
    RedisScratch? _redis;
    RecentCandles _recent = new();

    protected override ICandleStore Store => new RedisCandleStore(_redis!.Redis, _redis.Keys, _recent);

    [SetUp]
    public async Task Connect()
    {
        _redis = await RedisScratch.CreateAsync();
        _recent = new RecentCandles();
    }

    [TearDown]
    public async Task Clean()
    {
        if (_redis is not null)
            await _redis.DisposeAsync();
    }

    [Test]
    public async Task The_newest_window_read_again_holds_what_another_instance_stored_since_at_the_end_and_in_a_hole()
    {
        var candles = TestCandles.Series(40);
        var other = new RedisCandleStore(_redis!.Redis, _redis.Keys); // another instance: appends bypass this cache
        await other.AppendAsync(Series, [.. candles.Take(30).Where((_, i) => i != 20)], null);

        Assert.That(await Store.GetLatestAsync(Series, 10), Is.EqualTo(candles.Take(30).Where((_, i) => i != 20).TakeLast(10)));

        await other.AppendAsync(Series, [candles[20], .. candles.Skip(30).Take(5)], null); // the hole filled, five new
        Assert.That(await Store.GetLatestAsync(Series, 16), Is.EqualTo(candles.Skip(19).Take(16)));
        Assert.That(await Store.GetLatestAsync(Series, 100), Is.EqualTo(candles.Take(35)), "older candles than the cached window are read too");
    }
}
