using NeuralTrade.Events.Contracts;
using NeuralTrade.Events.MarketData;
using NeuralTrade.Events.Testing;
using NeuralTrade.Events.Workers.Monitor;

namespace NeuralTrade.Events.Tests;

/// <summary>
/// Cooldowns counted in candles: the same candles on a 1m and a 1d series give the same decisions, and a daily series
/// in lasting drift is not retrained at every check (the retrain loop on the daily S&amp;P 500 asked 35 times in ~2,000
/// candles while the cooldowns were hours of candle time).
/// </summary>
[Parallelizable(ParallelScope.Children)]
public sealed class MonitorCandleCountTests
{
    const int Train = 3000, Warm = 500, Live = 1500;

    static readonly SeriesKey Minute = DriftMarket.Series;
    static readonly SeriesKey Daily = new("sim", "DRIFT/USD", "1d");

    /// <summary>What each check decided, by candle index after the training candles: drift events and retrain requests.</summary>
    static async Task<(List<string> Decisions, int Retrains)> RunAsync(SeriesKey series, MarketShift shift, int seed, MonitorOptions? options = null)
    {
        var rig = new MonitorRig(options);
        var market = DriftMarket.Generate(Train + Live, seed, shift, shiftAt: Train + Warm, series: series);
        await rig.PromoteBaselineAsync(market, Train);
        await rig.IngestAsync(market.Take(Train).ToList());
        var decisions = new List<string>();
        var retrains = 0;
        for (var i = Train; i < market.Count; i++)
        {
            var report = await rig.IngestAsync([market[i]]);
            decisions.AddRange(report.Events.Select(e =>
                $"{i - Train} {e.DriftType} {e.Metric} {e.Feature} {e.Severity} {e.Action} v{e.Model?.Version} {e.Reference}"));
            if (report.Retrain is { } retrain)
            {
                retrains++;
                decisions.Add($"{i - Train} retrain from {(retrain.From is { } from ? CandleCooldown.CandlesBetween(from, market[i].OpenTime, Intervals.LengthOf(series.Interval)) : -1)}");
            }
        }

        return (decisions, retrains);
    }

    [TestCase(MarketShift.Variance, 21)]
    [TestCase(MarketShift.Regime, 22)]
    public async Task The_same_candles_on_a_daily_and_a_minute_series_give_the_same_decisions(MarketShift shift, int seed)
    {
        var options = new MonitorOptions { CooldownCandles = 30, RetrainCooldownCandles = 200, RetrainLookbackCandles = 1000 };
        var minute = await RunAsync(Minute, shift, seed, options);
        var daily = await RunAsync(Daily, shift, seed, options);

        TestContext.Out.WriteLine($"INVARIANCE {shift}: {minute.Decisions.Count} decisions, {minute.Retrains} retrains on both intervals");
        Assert.That(minute.Retrains, Is.GreaterThan(0), "the shift was seen and asked for retraining");
        Assert.That(daily.Decisions, Is.EqualTo(minute.Decisions), "the interval does not enter a decision");
        Assert.That(minute.Decisions.Where(d => d.Contains(" retrain ", StringComparison.Ordinal)), Is.All.EndsWith("from 999"),
            "the lookback reaches 1,000 candles back on both");
    }

    [Test]
    public async Task A_daily_series_in_lasting_drift_asks_for_at_most_one_retrain_per_cooldown_of_candles()
    {
        var (_, retrains) = await RunAsync(Daily, MarketShift.Variance, 23);
        var bound = (int)Math.Ceiling(Live / 360.0);
        TestContext.Out.WriteLine($"DAILY retrains over {Live} daily checks in drift: {retrains} (bound {bound})");
        Assert.That(retrains, Is.InRange(1, bound), "RetrainCooldownCandles = 360 by default");

        // What the hours-long cooldowns did on daily candles: every check in the alert could ask again.
        var (_, hourly) = await RunAsync(Daily, MarketShift.Variance, 23, new MonitorOptions
        {
            CooldownCandles = 0, Cooldown = TimeSpan.FromHours(1), RetrainCooldownCandles = 0, RetrainCooldown = TimeSpan.FromHours(6),
        });
        TestContext.Out.WriteLine($"DAILY with 1 h / 6 h cooldowns of candle time only: {hourly} retrains");
        Assert.That(hourly, Is.GreaterThan(10 * bound), "the problem this fixes");
    }

    [Test]
    public async Task The_default_candle_counts_keep_the_minute_behaviour_of_the_hour_cooldowns()
    {
        var candles = await RunAsync(Minute, MarketShift.Variance, 24);
        var hours = await RunAsync(Minute, MarketShift.Variance, 24, new MonitorOptions
        {
            CooldownCandles = 0, Cooldown = TimeSpan.FromHours(1), RetrainCooldownCandles = 0, RetrainCooldown = TimeSpan.FromHours(6),
        });
        Assert.That(candles.Decisions, Is.Not.Empty);
        Assert.That(candles.Decisions, Is.EqualTo(hours.Decisions), "60 and 360 candles of 1m are the former 1 h and 6 h");
    }
}
