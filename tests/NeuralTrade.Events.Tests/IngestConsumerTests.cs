using MassTransit;
using MassTransit.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using NeuralTrade.Events.Contracts;
using NeuralTrade.Events.Hosting;
using NeuralTrade.Events.MarketData;
using NeuralTrade.Events.Messaging;
using NeuralTrade.Events.Stores;
using NeuralTrade.Events.Testing;
using NeuralTrade.Events.Workers.Ingest;

namespace NeuralTrade.Events.Tests;

/// <summary>The Ingest worker's own wiring on MassTransit's in-memory test harness.</summary>
public sealed class IngestConsumerTests : WorkerHarnessFixture
{
    static readonly DateTimeOffset Now = TestCandles.Start.AddDays(1);
    ICandleStore _store = null!;
    FailOnceAfterAppendStore? _failingStore;

    protected override string ServiceName => "ingest-tests";

    protected override void AddWorker(IHostApplicationBuilder builder) => builder.AddIngestWorker();

    async Task StartAsync(bool failOnceAfterAppend = false)
    {
        Build(new Dictionary<string, string?> { ["Messaging:RetryIntervalsMs"] = "10,10" }, services =>
        {
            services.AddSingleton<TimeProvider>(new FixedTimeProvider(Now));
            if (failOnceAfterAppend)
                services.AddSingleton<ICandleStore>(_failingStore = new FailOnceAfterAppendStore(new InMemoryCandleStore()));
        }, timeout: TimeSpan.FromSeconds(10));
        _store = Get<ICandleStore>();
        await Host.StartAsync();
    }

    async Task<MarketCandles> PublishAndWait(MarketCandles message)
    {
        await Harness.Bus.Publish(message);
        var consumer = Harness.GetConsumerHarness<MarketCandlesConsumer>();
        Assert.That(await consumer.Consumed.Any<IncomingCandles>(x => x.Context.MessageId == message.EventId), Is.True, "not consumed");
        return message;
    }

    List<T> Published<T>() where T : class => [.. Harness.PublishedNow<T>()];

    [Test]
    public async Task Valid_batch_is_stored_and_announced_once_in_order()
    {
        await StartAsync();
        var candles = TestCandles.Series(50);
        var message = await PublishAndWait(new MarketCandles { Candles = candles.AsEnumerable().Reverse().ToList(), Source = "unit" });

        var ingested = Published<DataIngested>().Single();
        Assert.That(ingested.Candles, Is.EqualTo(candles));
        Assert.That((ingested.FirstOpenTime, ingested.LastOpenTime), Is.EqualTo((candles[0].OpenTime, candles[^1].OpenTime)));
        Assert.That(ingested.CorrelationId, Is.EqualTo(message.CorrelationId));
        Assert.That((ingested.Exchange, ingested.Symbol, ingested.Interval), Is.EqualTo(("binance", "BTC/USDT", "1m")));
        Assert.That(Published<DataRejected>(), Is.Empty);
        Assert.That(ingested.Gaps, Is.Null, "a contiguous batch into an empty series has no gap");
        Assert.That(await _store.GetRangeAsync(new SeriesKey("binance", "BTC/USDT", "1m")), Is.EqualTo(candles));
        var headers = Harness.Published.Select<DataIngested>().Single().Context.Headers;
        Assert.That((headers.Get<string>(Exchanges.SeriesHeaders.Exchange), headers.Get<string>(Exchanges.SeriesHeaders.Symbol),
            headers.Get<string>(Exchanges.SeriesHeaders.Interval)), Is.EqualTo(("binance", "BTC/USDT", "1m")), "the series as headers, for by-series exchanges");
    }

    [Test]
    public async Task Gaps_inside_a_batch_are_announced_with_their_ends_and_missing_count()
    {
        await StartAsync();
        var candles = TestCandles.Series(20);
        var sent = candles.Where((_, i) => i != 5 && i is < 10 or > 12).ToList();
        await PublishAndWait(new MarketCandles { Candles = sent });

        var ingested = Published<DataIngested>().Single();
        Assert.That(ingested.Candles, Is.EqualTo(sent));
        Assert.That(ingested.Gaps, Is.EqualTo(new[]
        {
            new CandleGap(candles[4].OpenTime, candles[6].OpenTime, 1),
            new CandleGap(candles[9].OpenTime, candles[13].OpenTime, 3),
        }));
    }

    [Test]
    public async Task Gap_after_the_previously_stored_candle_is_found_across_batches_and_counted()
    {
        await StartAsync();
        using var gaps = new CounterListener(IngestTelemetry.Name, "neuraltrade.ingest.gaps", ("interval", "15m"));
        using var missing = new CounterListener(IngestTelemetry.Name, "neuraltrade.ingest.gap_candles", ("interval", "15m"));
        var candles = TestCandles.Series(30, interval: "15m");
        await PublishAndWait(new MarketCandles { Candles = candles[..10] });
        await PublishAndWait(new MarketCandles { Candles = candles[17..] });

        var announced = Published<DataIngested>();
        Assert.That(announced, Has.Count.EqualTo(2));
        Assert.That(announced[0].Gaps, Is.Null);
        Assert.That(announced[1].Gaps, Is.EqualTo(new[] { new CandleGap(candles[9].OpenTime, candles[17].OpenTime, 7) }),
            "the first new candle is compared with the newest stored one");
        Assert.That((gaps.Total, missing.Total), Is.EqualTo((1, 7)));
    }

    [Test]
    public async Task Late_candles_that_fill_a_gap_are_not_a_gap()
    {
        await StartAsync();
        var candles = TestCandles.Series(30);
        await PublishAndWait(new MarketCandles { Candles = [.. candles[..10], .. candles[20..]] });
        // Part of the hole, with a hole of its own: late data is not compared; the hole was announced when it appeared.
        await PublishAndWait(new MarketCandles { Candles = [candles[11], candles[12], candles[15]] });
        // A late candle and new ones in one batch: only the new ones extend the series.
        await PublishAndWait(new MarketCandles { Candles = [candles[10], .. TestCandles.Series(33)[30..]] });

        var announced = Published<DataIngested>();
        Assert.That(announced.Select(e => e.Candles.Count), Is.EqualTo(new[] { 20, 3, 4 }));
        Assert.That(announced[0].Gaps, Is.EqualTo(new[] { new CandleGap(candles[9].OpenTime, candles[20].OpenTime, 10) }));
        Assert.That(announced[1].Gaps, Is.Null);
        Assert.That(announced[2].Gaps, Is.Null);
    }

    [Test]
    public async Task One_message_lists_at_most_100_gaps_and_counts_them_all()
    {
        await StartAsync();
        using var gaps = new CounterListener(IngestTelemetry.Name, "neuraltrade.ingest.gaps", ("interval", "3m"));
        var everyOther = TestCandles.Series(240, interval: "3m").Where((_, i) => i % 2 == 0).ToList();
        await PublishAndWait(new MarketCandles { Candles = everyOther });

        var listed = Published<DataIngested>().Single().Gaps;
        Assert.That(listed, Has.Count.EqualTo(DataIngested.MaxGaps));
        Assert.That(listed, Has.All.Property(nameof(CandleGap.Missing)).EqualTo(1));
        Assert.That(listed![0].After, Is.EqualTo(everyOther[0].OpenTime), "the first ones, in time order");
        Assert.That(gaps.Total, Is.EqualTo(everyOther.Count - 1));
    }

    [Test]
    public async Task Redelivered_message_announces_the_same_gaps()
    {
        await StartAsync(failOnceAfterAppend: true);
        var candles = TestCandles.Series(20);
        await Harness.Bus.Publish(new MarketCandles { Candles = [.. candles[..5], .. candles[8..]] });
        await Harness.InactivityTask;

        Assert.That(_failingStore!.Failures, Is.EqualTo(1), "the fault was injected");
        Assert.That(Published<DataIngested>().Single().Gaps, Is.EqualTo(new[] { new CandleGap(candles[4].OpenTime, candles[8].OpenTime, 3) }),
            "the retry reports the series as the first attempt found it, not as it left it");
    }

    [Test]
    public async Task Mixed_batch_announces_each_series_and_rejects_bad_candles_with_reasons()
    {
        await StartAsync();
        var btc = TestCandles.Series(3);
        var eth = TestCandles.Series(2, symbol: "ETH/USDT", seed: 2);
        var bad = btc[0] with { OpenTime = btc[0].OpenTime.AddSeconds(10), Volume = -1 };
        await PublishAndWait(new MarketCandles { Candles = [btc[0], eth[0], bad, btc[1], eth[1], btc[2]] });

        var ingested = Published<DataIngested>().OrderBy(e => e.Symbol).ToList();
        Assert.That(ingested.Select(e => (e.Symbol, e.Candles.Count)), Is.EqualTo(new[] { ("BTC/USDT", 3), ("ETH/USDT", 2) }));
        var rejected = Published<DataRejected>().Single();
        Assert.That(rejected.Reasons.Select(r => (r.Index, r.Code, r.Field)), Is.EquivalentTo(new[]
        {
            (2, "misaligned", "openTime"), (2, "negative", "volume"),
        }));
        Assert.That(rejected.Candles, Has.Count.EqualTo(1));
        Assert.That(rejected.Candles[0].GetProperty("volume").GetDecimal(), Is.EqualTo(-1m), "the candle is returned as received");
    }

    [Test]
    public async Task Same_message_twice_is_stored_once_and_announced_once()
    {
        await StartAsync();
        using var replayed = new CounterListener(IngestTelemetry.Name, "neuraltrade.ingest.messages", ("outcome", "replayed"));
        var message = new MarketCandles { Candles = TestCandles.Series(10) };
        await PublishAndWait(message);
        await Harness.Bus.Publish(message);

        // The harness keys its message lists by message id, so the second delivery is seen through the worker's metric.
        Assert.That(await replayed.WaitForAsync(1, TimeSpan.FromSeconds(10)), Is.True, "the second delivery was not recognised");
        Assert.That(Published<DataIngested>(), Has.Count.EqualTo(1));
        Assert.That(await _store.CountAsync(new SeriesKey("binance", "BTC/USDT", "1m")), Is.EqualTo(10));
    }

    [Test]
    public async Task Overlapping_batch_announces_only_the_new_candles()
    {
        await StartAsync();
        var candles = TestCandles.Series(15);
        await PublishAndWait(new MarketCandles { Candles = candles[..10] });
        await PublishAndWait(new MarketCandles { Candles = candles[5..] });

        var announced = Published<DataIngested>();
        Assert.That(announced.Select(e => e.Candles.Count), Is.EqualTo(new[] { 10, 5 }));
        Assert.That(announced[1].Candles, Is.EqualTo(candles[10..]));
        Assert.That(Published<DataRejected>(), Is.Empty, "duplicates are not rejections");
    }

    [Test]
    public async Task Conflicting_candle_is_rejected_and_the_stored_one_kept()
    {
        await StartAsync();
        var original = TestCandles.One();
        await PublishAndWait(new MarketCandles { Candles = [original] });
        await PublishAndWait(new MarketCandles { Candles = [original with { Close = 42200m }] });

        var reason = Published<DataRejected>().Single().Reasons.Single();
        Assert.That((reason.Index, reason.Code), Is.EqualTo((0, "conflict")));
        Assert.That(reason.Message, Does.Contain("42250.75").And.Contain("42200"));
        Assert.That(await _store.GetAsync(SeriesKey.Of(original), original.OpenTime), Is.EqualTo(original));
        Assert.That(Published<DataIngested>(), Has.Count.EqualTo(1));
    }

    [Test]
    public async Task Crash_after_the_store_write_is_retried_and_announced_once()
    {
        await StartAsync(failOnceAfterAppend: true);
        var candles = TestCandles.Series(20);
        await Harness.Bus.Publish(new MarketCandles { Candles = candles });
        await Harness.InactivityTask;

        Assert.That(_failingStore!.Failures, Is.EqualTo(1), "the fault was injected");
        var announced = Published<DataIngested>().Single();
        Assert.That(announced.Candles, Is.EqualTo(candles), "the retry reports what the first attempt stored");
        Assert.That(await Harness.Published.Any<Fault<IncomingCandles>>(), Is.False);
    }

    [TestCase(0)]
    [TestCase(10_001)]
    public async Task Batch_outside_1_to_10000_candles_is_dead_lettered_without_retry(int count)
    {
        await StartAsync();
        var candle = TestCandles.One();
        var message = new MarketCandles { Candles = Enumerable.Repeat(candle, count).ToList() };
        await Harness.Bus.Publish(message);

        Assert.That(await Harness.Published.Any<Fault<IncomingCandles>>(), Is.True);
        var fault = Harness.PublishedNow<Fault<IncomingCandles>>().Single();
        Assert.That(fault.Exceptions.Single().Message, Does.Contain($"holds {count} candles"));
        Assert.That(Harness.GetConsumerHarness<MarketCandlesConsumer>().Consumed.Select<IncomingCandles>().Count(), Is.EqualTo(1), "not retried");
        Assert.That(Published<DataIngested>(), Is.Empty);
    }

    [Test]
    public async Task Body_without_candles_is_dead_lettered_with_the_reason()
    {
        await StartAsync();
        await Harness.Bus.Publish(new CandlesWithoutCandles("feed"));

        Assert.That(await Harness.Published.Any<Fault<IncomingCandles>>(), Is.True);
        var fault = Harness.PublishedNow<Fault<IncomingCandles>>().Single();
        Assert.That(fault.Exceptions.Single().ExceptionType, Is.EqualTo(typeof(InvalidMessageException).FullName));
        Assert.That(fault.Exceptions.Single().Message, Does.Contain("no 'candles' array"));
    }

    /// <summary>A body on the market.candles exchange that lacks its array, as a broken feed might send.</summary>
    [Exchange(Exchanges.MarketCandles)]
    [MessageUrn("neuraltrade:market.candles")]
    public sealed record CandlesWithoutCandles(string Source);

    /// <summary>Stores, then throws once, as a worker killed between its write and its ack would.</summary>
    sealed class FailOnceAfterAppendStore(ICandleStore inner) : DelegatingCandleStore(inner)
    {
        int _failures;
        public int Failures => _failures;

        public override async Task<AppendResult> AppendAsync(SeriesKey series, IReadOnlyList<Candle> candles, string? receipt,
            CancellationToken cancellationToken = default)
        {
            var result = await Inner.AppendAsync(series, candles, receipt, cancellationToken);
            if (Interlocked.CompareExchange(ref _failures, 1, 0) == 0)
                throw new TimeoutException("injected: the process died after the store write");
            return result;
        }
    }
}
