using System.Text.Json;
using MassTransit.Serialization;
using NeuralTrade.Events.Contracts;
using NeuralTrade.Events.Messaging;
using NeuralTrade.Events.Modeling;
using NeuralTrade.Events.Testing;
using NeuralTrade.Events.Workers.Monitor;

namespace NeuralTrade.Events.Tests;

/// <summary>
/// Drift without a champion: while no model has passed the Registry's gate, the features window is compared with the
/// series' own history (reference <c>history</c>), reported and never retrained. One <c>data.ingested</c> per candle
/// after a first batch, as in <see cref="MonitorDriftTests"/>.
/// </summary>
[Parallelizable(ParallelScope.Children)]
public sealed class MonitorHistoryDriftTests
{
    const int History = 2000, Warm = 500, Live = 1000;

    static async Task<(MonitorRig Rig, List<Candle> Market, List<CheckReport> Reports)> RunAsync(MarketShift shift, int seed,
        Func<MonitorRig, List<Candle>, int, Task>? afterEach = null)
    {
        var rig = new MonitorRig();
        var market = DriftMarket.Generate(History + Warm + Live, seed, shift, shiftAt: History + Warm);
        await rig.IngestAsync(market.Take(History).ToList());
        var reports = new List<CheckReport>();
        for (var i = History; i < market.Count; i++)
        {
            reports.Add(await rig.IngestAsync([market[i]]));
            if (afterEach is not null)
                await afterEach(rig, market, i);
        }

        return (rig, market, reports);
    }

    static int CandleOf(List<Candle> market, DriftDetected e) => (int)(e.Window.To - market[History + Warm].OpenTime).TotalMinutes;

    [TestCase(31), TestCase(32), TestCase(33)]
    public async Task A_regime_change_without_a_champion_is_reported_against_the_series_history(int seed)
    {
        var (rig, market, reports) = await RunAsync(MarketShift.Turbulence, seed);
        var drift = rig.Drift.ToList();

        Assert.That(reports.Select(r => r.Outcome), Is.All.EqualTo(ChampionBaselines.NoModel), "no champion throughout");
        Assert.That(reports[^1].Readings, Has.Count.EqualTo(20), "every feature measured (PSI and KS) against the history");
        Assert.That(drift.Where(e => CandleOf(market, e) < 0), Is.Empty, "nothing before the change");
        var first = drift.Where(e => e.Severity == DriftSeverity.High).OrderBy(e => CandleOf(market, e)).FirstOrDefault();
        Assert.That(first, Is.Not.Null, "volatility × 3 is reported");
        TestContext.Out.WriteLine($"HISTORY seed {seed}: first alert after {CandleOf(market, first!)} candles ({first!.Metric} {first.Feature} = {first.Value:G3}); " +
            $"events {drift.Count}");
        Assert.That(CandleOf(market, first), Is.LessThanOrEqualTo(500));
        Assert.That(first.DriftType, Is.EqualTo(DriftType.Data));
        Assert.That(first.Reference, Is.EqualTo(DriftReference.History));
        Assert.That(first.Model, Is.Null, "no model serves the series");
        Assert.That(first.SchemaVersion, Is.EqualTo(DriftDetected.HistorySchemaVersion));
        Assert.That(first.ReferenceWindow, Is.Not.Null);
        Assert.That(first.ReferenceWindow!.To, Is.EqualTo(first.Window.From - TimeSpan.FromMinutes(1)), "the history just before the window");
        Assert.That(first.ReferenceWindow.To - first.ReferenceWindow.From, Is.EqualTo(TimeSpan.FromMinutes(999)), "ReferenceWindow = 1,000 candles");
        Assert.That(drift.Select(e => e.Action), Is.All.Null.Or.EqualTo(DriftMonitor.RecoveredAction), "reported only");
        Assert.That(rig.Retrains, Is.Empty, "without a champion there is no recipe to retrain");
        Assert.That(drift.Count, Is.LessThan(60), "hysteresis and cooldown apply as against a champion");
    }

    [Test]
    public async Task A_stationary_series_without_a_champion_raises_nothing()
    {
        var events = 0;
        var seeds = Enumerable.Range(141, 6).ToList();
        foreach (var seed in seeds)
        {
            var (rig, _, reports) = await RunAsync(MarketShift.None, seed);
            events += rig.Drift.Count();
            Assert.That(reports.Count(r => r.Readings.Count == 20), Is.EqualTo(reports.Count), $"seed {seed}: every check measured");
        }

        TestContext.Out.WriteLine($"HISTORY FALSE ALARMS over {seeds.Count} seeds × {Warm + Live} checks: {events} events");
        Assert.That(events, Is.Zero);
    }

    [Test]
    public async Task Once_a_champion_serves_drift_is_measured_against_it_as_before()
    {
        const int promoteAt = History + 100;
        var (rig, market, reports) = await RunAsync(MarketShift.Variance, 34, afterEach: async (r, m, i) =>
        {
            if (i == promoteAt)
                await r.PromoteBaselineAsync(m, History);
        });

        Assert.That(reports.Take(promoteAt - History + 1).Select(r => r.Outcome), Is.All.EqualTo(ChampionBaselines.NoModel));
        Assert.That(reports.Skip(promoteAt - History + 1).Select(r => r.Outcome), Is.All.EqualTo("checked"));
        var drift = rig.Drift.ToList();
        Assert.That(drift, Is.Not.Empty);
        Assert.That(drift.Select(e => e.Reference), Is.All.EqualTo(DriftReference.Champion), "no history drift before the change; the champion's after");
        Assert.That(drift.Select(e => e.Model), Is.All.EqualTo(new ModelRef(ModelNames.For(DriftMarket.Series), 1)));
        Assert.That(drift.Select(e => e.SchemaVersion), Is.All.EqualTo(1));
        Assert.That(drift.Select(e => e.ReferenceWindow), Is.All.Null);
        Assert.That(rig.Retrains, Is.Not.Empty, "the champion's drift asks for retraining");
        Assert.That(drift.Where(e => CandleOf(market, e) < 0), Is.Empty);
    }

    [Test]
    public void A_history_body_omits_model_names_its_reference_and_is_schema_version_2()
    {
        var options = BusRegistration.ConfigureWireJson(new JsonSerializerOptions(SystemTextJsonMessageSerializer.Options));
        var from = new DateTimeOffset(2024, 1, 15, 0, 0, 0, TimeSpan.Zero);
        var body = new DriftDetected
        {
            SchemaVersion = DriftDetected.HistorySchemaVersion, DriftType = DriftType.Data, Metric = "ks_pvalue", Feature = "volatility_20",
            Value = 1e-9, Baseline = 1, Threshold = 1e-5, Severity = DriftSeverity.High, Exchange = "binance", Symbol = "BTC/USDT", Interval = "1d",
            Window = new TimeWindow(from, from.AddDays(499)), Reference = DriftReference.History,
            ReferenceWindow = new TimeWindow(from.AddDays(-1000), from.AddDays(-1)),
        };

        var json = JsonDocument.Parse(JsonSerializer.Serialize(body, options)).RootElement;

        Assert.That(json.TryGetProperty("model", out _), Is.False);
        Assert.That(json.GetProperty("schemaVersion").GetInt32(), Is.EqualTo(2));
        Assert.That(json.GetProperty("reference").GetString(), Is.EqualTo("history"));
        Assert.That(json.GetProperty("referenceWindow").GetProperty("to").GetString(), Is.EqualTo("2024-01-14T00:00:00Z"));
        Assert.That(json.TryGetProperty("action", out _), Is.False);

        // A version 1 body (no reference member) still reads: measured against the model it names.
        var v1 = File.ReadAllText(Path.Combine(TestContext.CurrentContext.TestDirectory, "Golden", "drift.detected.json")).Replace("\"reference\": \"champion\",", "",
            StringComparison.Ordinal);
        var read = JsonSerializer.Deserialize<DriftDetected>(v1, options)!;
        Assert.That((read.Model, read.Reference, read.SchemaVersion), Is.EqualTo((new ModelRef("signal-binance-btc-usdt-1m", 3), (DriftReference?)null, 1)));
    }
}
