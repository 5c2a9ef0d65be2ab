using System.Diagnostics;
using NeuralTrade.Events.Contracts;
using NeuralTrade.Events.Testing;
using NeuralTrade.Events.Workers.Monitor;

namespace NeuralTrade.Events.Tests;

/// <summary>
/// Exploration of the statistics on the synthetic market (not part of the suite): prints per-feature extremes and
/// first alerts. <c>STUDY_WINDOW=300</c> tries another feature window. The README's PSI figures come from here.
/// </summary>
[Explicit("a study, not a test")]
public sealed class DriftStudy
{
    [TestCase(MarketShift.None)]
    [TestCase(MarketShift.Mean)]
    [TestCase(MarketShift.Variance)]
    [TestCase(MarketShift.Regime)]
    public async Task Extremes(MarketShift shift)
    {
        const int train = 3000, warm = 500, live = 1500;
        for (var seed = 1; seed <= 3; seed++)
        {
            var rig = new MonitorRig(new MonitorOptions { FeatureWindow = int.Parse(Environment.GetEnvironmentVariable("STUDY_WINDOW") ?? "500"), MinFeatureWindow = 100 });
            var market = DriftMarket.Generate(train + live, seed, shift, shiftAt: train + warm);
            await rig.PromoteBaselineAsync(market, train);
            await rig.IngestAsync(market.Take(train).ToList());
            var max = new Dictionary<string, double>();
            var first = new Dictionary<string, int>();
            var sw = Stopwatch.StartNew();
            for (var i = train; i < market.Count; i++)
            {
                var report = await rig.IngestAsync([market[i]]);
                foreach (var r in report.Readings)
                    max[r.Key] = Math.Max(max.GetValueOrDefault(r.Key, double.MinValue), r.Badness);
                foreach (var e in report.Events.Where(e => e.Severity == DriftSeverity.High))
                    first.TryAdd($"{e.DriftType.ToString().ToLowerInvariant()}:{e.Metric}:{e.Feature}", i - train - warm);
            }

            TestContext.Out.WriteLine($"seed {seed} {shift}: {live} checks in {sw.ElapsedMilliseconds} ms; events {rig.Drift.Count()} " +
                $"(high {rig.Drift.Count(d => d.Severity == DriftSeverity.High)})");
            if (shift == MarketShift.None) TestContext.Out.WriteLine("  max: " + string.Join(", ", max.OrderBy(k => k.Key).Select(k => $"{k.Key.Replace("data:", "")}={k.Value:F2}")));
            TestContext.Out.WriteLine("  first high: " + string.Join(", ", first.OrderBy(k => k.Value).Select(k => $"{k.Key}@{k.Value}")));
        }
    }
}

[Explicit("a study, not a test")]
public sealed class DriftCostStudy
{
    [Test]
    public async Task Parts()
    {
        var market = DriftMarket.Generate(4000, 1);
        var store = new NeuralTrade.Events.Stores.InMemoryCandleStore();
        await store.AppendAsync(DriftMarket.Series, market, null);
        var baseline = DriftMarket.BaselineOf(market, 3000);
        var live = Enumerable.Range(0, 500).Select(i => (double)i % 17).ToArray();
        var sample = baseline[0].Sample.Select(v => (double)v).ToArray();
        void Time(string what, Action a)
        {
            a();
            var sw = Stopwatch.StartNew();
            for (var i = 0; i < 200; i++)
                a();
            TestContext.Out.WriteLine($"{what,-20} {sw.Elapsed.TotalMilliseconds / 200:F3} ms");
        }

        Time("range 545", () => store.GetRangeAsync(DriftMarket.Series, market[3000].OpenTime, market[3545].OpenTime).GetAwaiter().GetResult());
        var candles = market.Skip(3000).Take(545).ToList();
        Time("features 545", () => NeuralTrade.Events.Modeling.FeatureCalculator.Compute(candles));
        Time("psi", () => DriftStatistics.Psi(baseline[0].QuantileEdges, live, baseline[0].Sample));
        Time("ks distance", () => DriftStatistics.Distance(live, sample));
        var smooth = NeuralTrade.Events.Modeling.FeatureCalculator.Compute(candles);
        var volatility = Enumerable.Range(smooth.FirstValid, 500).Select(r => (double)smooth[r, 9]).ToArray();
        Time("ess direct", () => DriftStatistics.EffectiveSampleSize(volatility));
        Time("ess MathNet FFT", () => MathNet.Numerics.Statistics.Correlation.Auto(volatility, volatility.Length / 4, 1));
    }
}
