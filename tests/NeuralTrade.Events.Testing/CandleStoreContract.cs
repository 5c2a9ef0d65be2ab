using NeuralTrade.Events.MarketData;
using NeuralTrade.Events.Stores;

namespace NeuralTrade.Events.Testing;

/// <summary>The behaviour every <see cref="ICandleStore"/> must have; run against in-memory and against a real Redis.</summary>
public abstract class CandleStoreContract
{
    protected abstract ICandleStore Store { get; }

    static readonly SeriesKey Series = new("binance", "BTC/USDT", "1m");

    [Test]
    public async Task Append_new_candles_stores_them_in_openTime_order()
    {
        var candles = TestCandles.Series(10);
        var shuffled = candles.OrderByDescending(c => c.OpenTime).ToList();

        var statuses = (await Store.AppendAsync(Series, shuffled, receipt: null)).Statuses;

        Assert.That(statuses, Is.All.EqualTo(AppendStatus.Added));
        Assert.That(await Store.GetRangeAsync(Series), Is.EqualTo(candles));
        Assert.That(await Store.CountAsync(Series), Is.EqualTo(10));
        Assert.That(await Store.ListSeriesAsync(), Is.EqualTo(new[] { Series }));
    }

    [Test]
    public async Task Append_same_values_again_is_a_duplicate_and_changes_nothing()
    {
        var candles = TestCandles.Series(5);
        await Store.AppendAsync(Series, candles, null);
        // Equal values written with other trailing zeros are the same candle.
        var again = candles.Select(c => c with { Close = c.Close * 1.000m }).ToList();

        var statuses = (await Store.AppendAsync(Series, again, null)).Statuses;

        Assert.That(statuses, Is.All.EqualTo(AppendStatus.Duplicate));
        Assert.That(await Store.CountAsync(Series), Is.EqualTo(5));
    }

    [Test]
    public async Task Append_other_values_at_a_stored_openTime_is_a_conflict_and_keeps_the_stored_candle()
    {
        var original = TestCandles.One();
        await Store.AppendAsync(Series, [original], null);

        var statuses = (await Store.AppendAsync(Series, [original with { Close = original.Close + 1 }], null)).Statuses;

        Assert.That(statuses, Is.EqualTo(new[] { AppendStatus.Conflict }));
        Assert.That(await Store.GetAsync(Series, original.OpenTime), Is.EqualTo(original));
    }

    [Test]
    public async Task Append_with_a_used_receipt_replays_the_first_answer()
    {
        var candles = TestCandles.Series(3);

        var first = await Store.AppendAsync(Series, candles, "message-1");
        var second = await Store.AppendAsync(Series, candles, "message-1");
        var other = await Store.AppendAsync(Series, candles, "message-2");

        Assert.That(first.Statuses, Is.All.EqualTo(AppendStatus.Added));
        Assert.That(second.Statuses, Is.EqualTo(first.Statuses), "the same receipt must report what the first append did");
        Assert.That(second.PreviousLastOpenTime, Is.EqualTo(first.PreviousLastOpenTime).And.Null, "and what the series held before it");
        Assert.That(other.Statuses, Is.All.EqualTo(AppendStatus.Duplicate));
        Assert.That(other.PreviousLastOpenTime, Is.EqualTo(candles[^1].OpenTime));
    }

    [Test]
    public async Task Append_names_the_newest_openTime_held_before_it()
    {
        var candles = TestCandles.Series(20);

        var first = await Store.AppendAsync(Series, candles[5..10], null);
        var later = await Store.AppendAsync(Series, candles[15..], null);
        var backfill = await Store.AppendAsync(Series, candles[..5], null);

        Assert.That(first.PreviousLastOpenTime, Is.Null, "the series was empty");
        Assert.That(later.PreviousLastOpenTime, Is.EqualTo(candles[9].OpenTime));
        Assert.That(backfill.PreviousLastOpenTime, Is.EqualTo(candles[^1].OpenTime), "the newest, not the one before the appended candles");
    }

    [Test]
    public async Task GetLatest_and_GetRange_select_by_openTime()
    {
        var candles = TestCandles.Series(20);
        await Store.AppendAsync(Series, candles, null);

        Assert.That(await Store.GetLatestAsync(Series, 3), Is.EqualTo(candles.TakeLast(3)));
        Assert.That(await Store.GetLatestAsync(Series, 100), Is.EqualTo(candles));
        Assert.That(await Store.GetRangeAsync(Series, candles[5].OpenTime, candles[7].OpenTime), Is.EqualTo(candles.Skip(5).Take(3)));
        Assert.That(await Store.GetRangeAsync(new SeriesKey("binance", "ETH/USDT", "1m")), Is.Empty);
        Assert.That(await Store.GetAsync(Series, candles[0].OpenTime.AddSeconds(-60)), Is.Null);

        Assert.That(await Store.GetLatestAsync(Series, 3, candles[9].OpenTime), Is.EqualTo(candles.Skip(7).Take(3)), "up to and including the time");
        Assert.That(await Store.GetLatestAsync(Series, 3, candles[9].OpenTime.AddSeconds(30)), Is.EqualTo(candles.Skip(7).Take(3)), "between two candles");
        Assert.That(await Store.GetLatestAsync(Series, 100, candles[4].OpenTime), Is.EqualTo(candles.Take(5)), "fewer stored than asked");
        Assert.That(await Store.GetLatestAsync(Series, 3, candles[0].OpenTime.AddSeconds(-60)), Is.Empty, "before the first candle");
        Assert.That(await Store.GetLatestAsync(Series, 3, candles[^1].OpenTime.AddDays(1)), Is.EqualTo(candles.TakeLast(3)));
        Assert.That(await Store.GetLatestAsync(Series, 3), Is.EqualTo(candles.TakeLast(3)), "an older window read does not change the newest");
    }

    [Test]
    public async Task Concurrent_appends_of_overlapping_batches_store_each_candle_once()
    {
        var candles = TestCandles.Series(400);
        var batches = Enumerable.Range(0, 16).Select(i => candles.Skip(i * 20).Take(100).ToList()).ToList();

        var results = await Task.WhenAll(batches.Select((b, i) => Task.Run(() => Store.AppendAsync(Series, b, $"m{i}"))));

        Assert.That(results.Sum(r => r.Statuses.Count(s => s == AppendStatus.Added)), Is.EqualTo(candles.Take(400).Count()));
        Assert.That(results.SelectMany(r => r.Statuses).Count(s => s == AppendStatus.Conflict), Is.Zero);
        Assert.That(await Store.CountAsync(Series), Is.EqualTo(400));
    }

    [Test]
    public async Task A_range_is_counted_with_both_ends_included()
    {
        var candles = TestCandles.Series(50);
        await Store.AppendAsync(Series, candles, null);

        Assert.That(await Store.CountAsync(Series, candles[10].OpenTime, candles[19].OpenTime), Is.EqualTo(10));
        Assert.That(await Store.CountAsync(Series, from: candles[45].OpenTime), Is.EqualTo(5));
        Assert.That(await Store.CountAsync(Series, to: candles[0].OpenTime), Is.EqualTo(1));
        Assert.That(await Store.CountAsync(Series, candles[49].OpenTime.AddMinutes(1), null), Is.Zero);
        Assert.That(await Store.CountAsync(Series, candles[10].OpenTime, candles[19].OpenTime),
            Is.EqualTo((await Store.GetRangeAsync(Series, candles[10].OpenTime, candles[19].OpenTime)).Count), "the same candles a range read returns");
    }
}
