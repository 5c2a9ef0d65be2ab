using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using NeuralTrade.Events.Contracts;
using NeuralTrade.Events.Modeling;
using NeuralTrade.Events.Testing;
using NeuralTrade.Events.Workers.Monitor;

namespace NeuralTrade.Events.Tests;

/// <summary>
/// The monitor on synthetic markets with known shifts, at the default thresholds: 3,000 candles the champion was
/// trained on, 500 more of the same market, then 1,000 candles in which the market has (or has not) changed, one
/// <c>data.ingested</c> per candle. Delays are counted in candles from the shift; they are printed for the README.
/// </summary>
[Parallelizable(ParallelScope.Children)]
public sealed class MonitorDriftTests
{
    const int Train = 3000, Warm = 500, Live = 1500;

    /// <summary>A scenario run: the rig, the market and, per candle, what the check reported.</summary>
    sealed record Run(MonitorRig Rig, List<Candle> Market, List<CheckReport> Reports)
    {
        public int CandleOf(DriftDetected e) => (int)(e.Window.To - Market[Train + Warm].OpenTime).TotalMinutes;
    }

    static async Task<Run> RunAsync(MarketShift shift, int seed, MonitorOptions? options = null, int live = Live,
        Func<MonitorRig, List<Candle>, int, Task>? afterEach = null, Func<MonitorRig, int, DriftMonitor>? monitorFor = null, bool deliverTwice = false)
    {
        var rig = new MonitorRig(options);
        var market = DriftMarket.Generate(Train + live, seed, shift, shiftAt: Train + Warm);
        await rig.PromoteBaselineAsync(market, Train);
        await rig.IngestAsync(market.Take(Train).ToList());
        var reports = new List<CheckReport>();
        for (var i = Train; i < market.Count; i++)
        {
            var monitor = monitorFor?.Invoke(rig, i);
            reports.Add(await rig.IngestAsync([market[i]], monitor));
            if (deliverTwice)
                reports.Add(await rig.IngestAsync([market[i]], monitor));
            if (afterEach is not null)
                await afterEach(rig, market, i);
        }

        return new Run(rig, market, reports);
    }

    [TestCase(MarketShift.Mean, 1), TestCase(MarketShift.Mean, 2), TestCase(MarketShift.Mean, 3)]
    [TestCase(MarketShift.Variance, 1), TestCase(MarketShift.Variance, 2), TestCase(MarketShift.Variance, 3)]
    [TestCase(MarketShift.Regime, 1), TestCase(MarketShift.Regime, 2), TestCase(MarketShift.Regime, 3)]
    public async Task A_shift_is_detected_within_a_bounded_number_of_candles(MarketShift shift, int seed)
    {
        var run = await RunAsync(shift, seed);
        var drift = run.Rig.Drift.ToList();

        Assert.That(drift.Where(e => run.CandleOf(e) < 0), Is.Empty, "nothing before the shift");
        var firstWarning = drift.Where(e => e.Severity == DriftSeverity.Medium).Select(run.CandleOf).DefaultIfEmpty(-1).Min();
        var firstAlert = drift.Where(e => e.Severity == DriftSeverity.High).OrderBy(run.CandleOf).FirstOrDefault();
        Assert.That(firstAlert, Is.Not.Null, $"no alert in the {Live - Warm} candles after the {shift} shift");
        var delay = run.CandleOf(firstAlert!);
        TestContext.Out.WriteLine($"DELAY {shift} seed {seed}: first warning after {firstWarning} candles, first alert after {delay} " +
            $"({firstAlert!.Metric} {firstAlert.Feature} = {firstAlert.Value:G3}); events {drift.Count}, retrain requests {run.Rig.Retrains.Count()}");
        Assert.That(delay, Is.LessThanOrEqualTo(700), "detected within 700 candles of the shift");
        Assert.That(firstAlert.DriftType, Is.EqualTo(DriftType.Data));
        Assert.That(firstAlert.Action, Is.EqualTo(DriftMonitor.RetrainAction), "the first alert asks for retraining");
        Assert.That(drift.Count, Is.LessThan(60), "hysteresis and cooldown: a few events per statistic, not one per candle");
    }

    [Test]
    public async Task Stationary_data_raises_no_alert_over_many_seeds()
    {
        var warnings = 0;
        var alerts = 0;
        var seeds = Enumerable.Range(101, 10).ToList();
        foreach (var seed in seeds)
        {
            var run = await RunAsync(MarketShift.None, seed);
            warnings += run.Rig.Drift.Count(e => e.Severity == DriftSeverity.Medium);
            alerts += run.Rig.Drift.Count(e => e.Severity == DriftSeverity.High);
            Assert.That(run.Rig.Retrains, Is.Empty, $"seed {seed}: no retraining on stationary data");
            Assert.That(run.Reports.Last().Readings, Has.Count.EqualTo(20), "every feature measured (PSI and KS)");
        }

        TestContext.Out.WriteLine($"FALSE ALARMS over {seeds.Count} seeds × {Live} checks: {alerts} alerts, {warnings} warnings");
        Assert.That(alerts, Is.Zero);
    }

    [Test]
    public async Task The_retrain_loop_asks_once_per_cooldown_while_drift_lasts()
    {
        var options = new MonitorOptions { RetrainCooldownCandles = 180 };
        var run = await RunAsync(MarketShift.Variance, 4, options);
        var requests = run.Reports.Select((r, i) => (r.Retrain, Candle: i - Warm)).Where(x => x.Retrain is not null).ToList();

        Assert.That(requests, Is.Not.Empty);
        Assert.That(requests.Select(r => r.Retrain!.Reason), Is.All.EqualTo("drift"));
        Assert.That(requests.Select(r => r.Retrain!.RequestId).Distinct().Count(), Is.EqualTo(requests.Count));
        var gaps = requests.Zip(requests.Skip(1), (a, b) => b.Candle - a.Candle).ToList();
        Assert.That(gaps, Is.All.EqualTo(180), "one request per 180-candle cooldown while the alert lasts");
        var expected = (Live - Warm - 1 - requests[0].Candle) / 180 + 1;
        Assert.That(requests, Has.Count.EqualTo(expected));
        TestContext.Out.WriteLine($"RETRAIN first request after {requests[0].Candle} candles, then every {gaps.FirstOrDefault()}: {requests.Count} in all");

        var quiet = await RunAsync(MarketShift.Variance, 4, new MonitorOptions { Retrain = false });
        Assert.That(quiet.Rig.Retrains, Is.Empty, "Monitor:Retrain=false reports drift only");
        Assert.That(quiet.Rig.Drift.Where(e => e.Severity == DriftSeverity.High), Is.Not.Empty);
    }

    [Test]
    public async Task The_baseline_follows_the_champion()
    {
        const int promoteAt = Train + Warm + 700;
        var run = await RunAsync(MarketShift.Variance, 5, live: Live + 500, afterEach: async (rig, market, i) =>
        {
            if (i != promoteAt)
                return;
            // A model retrained on the new regime: its baseline is the shifted candles.
            var shifted = market.Skip(Train + Warm + 50).Take(650).ToList();
            var features = FeatureCalculator.Compute(market.Take(promoteAt + 1).ToList());
            var baseline = ModelArtifact.FeatureBaselines(features, FeatureSpec.OhlcvV1, Train + Warm + 50, promoteAt);
            await rig.PromoteAsync(2, DriftChampions.Manifest(ModelNames.For(DriftMarket.Series), baseline));
        });

        var before = run.Rig.Drift.Where(e => run.CandleOf(e) <= promoteAt - Train - Warm).ToList();
        var after = run.Rig.Drift.Where(e => run.CandleOf(e) > promoteAt - Train - Warm).ToList();
        Assert.That(before.Where(e => e.Severity == DriftSeverity.High), Is.Not.Empty, "v1 saw the shift");
        Assert.That(before.Select(e => e.Model!.Version), Is.All.EqualTo(1));
        Assert.That(after.Select(e => e.Model!.Version), Is.All.EqualTo(2), "after model.deployed drift is measured against v2");
        Assert.That(after.Where(e => e.Severity == DriftSeverity.High), Is.Empty, "the new regime is v2's normal");
        Assert.That(run.Reports.Skip(promoteAt - Train + 1).Where(r => r.Retrain is not null), Is.Empty, "no retraining once v2 serves");
    }

    [Test]
    public async Task Redelivered_events_and_a_second_instance_change_nothing()
    {
        var single = await RunAsync(MarketShift.Variance, 6);
        var twice = await RunAsync(MarketShift.Variance, 6, deliverTwice: true);
        DriftMonitor? a = null, b = null;
        var alternating = await RunAsync(MarketShift.Variance, 6, monitorFor: (rig, i) =>
        {
            a ??= rig.NewMonitor();
            b ??= rig.NewMonitor();
            return i % 2 == 0 ? a : b; // competing consumers over one shared store
        });

        static List<string> Ids(Run run) => run.Rig.Published.Select(e => $"{e.GetType().Name}:{e.EventId}").ToList();
        Assert.That(Ids(single), Is.Not.Empty);
        Assert.That(Ids(twice), Is.EqualTo(Ids(single)), "each data.ingested delivered twice: no event twice");
        Assert.That(Ids(alternating), Is.EqualTo(Ids(single)), "two instances sharing the state agree with one");
    }

    [Test]
    public async Task Every_statistic_is_exported_per_series_and_feature()
    {
        var seen = new ConcurrentDictionary<string, double>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (i, l) =>
        {
            if (i.Meter.Name == MonitorTelemetry.Name && i.Name == "neuraltrade.monitor.drift.statistic")
                l.EnableMeasurementEvents(i);
        };
        listener.SetMeasurementEventCallback<double>((_, value, tags, _) =>
        {
            var t = tags.ToArray().ToDictionary(x => x.Key, x => x.Value?.ToString());
            if (t["series"] == "sim:DRIFT/USD:1m")
                seen[$"{t["drift_type"]}:{t["metric"]}:{t["feature"]}"] = value;
        });
        listener.Start();

        await RunAsync(MarketShift.None, 12, live: Warm + 10);

        foreach (var feature in FeatureSpec.OhlcvV1.Names)
        {
            Assert.That(seen.ContainsKey($"data:psi:{feature}"), Is.True, $"psi of {feature}");
            Assert.That(seen[$"data:ks_pvalue:{feature}"], Is.InRange(0.0, 1.0), $"KS p-value of {feature}");
        }
    }

    [Test]
    public async Task Windows_fill_before_a_model_exists_and_a_bad_artifact_stops_nothing_else()
    {
        var rig = new MonitorRig();
        var market = DriftMarket.Generate(Train + 10, 7);
        var report = await rig.IngestAsync(market.Take(Train).ToList());
        Assert.That(report.Outcome, Is.EqualTo(ChampionBaselines.NoModel));

        var champion = await rig.PromoteBaselineAsync(market, Train);
        report = await rig.IngestAsync([market[Train]]);
        Assert.That(report.Outcome, Is.EqualTo("checked"));
        Assert.That(report.Readings, Has.Count.EqualTo(20), "the window filled while there was no model");

        // v2's artifact is altered after registration: refused, logged, drift not measured; the message still succeeds.
        var tampered = await rig.PromoteBaselineAsync(market, Train, version: 2);
        var path = new Uri(tampered.Artifact.Uri).LocalPath;
        var bytes = await File.ReadAllBytesAsync(path);
        bytes[^10] ^= 0xFF;
        await File.WriteAllBytesAsync(path, bytes);
        report = await rig.IngestAsync([market[Train + 1]]);
        Assert.That(report.Outcome, Is.EqualTo(ChampionBaselines.BaselineUnavailable));
        Assert.That(champion.Version, Is.EqualTo(1));
    }

    [Test]
    public async Task Prediction_drift_is_measured_on_streamed_predictions_only()
    {
        const int shiftAt = Train + Warm;
        var run = await RunAsync(MarketShift.None, 8, afterEach: async (rig, market, i) =>
        {
            var candle = market[i];
            // Streamed: an even mix like validation until the shift, then mostly confident buys.
            var (signal, confidence) = i < shiftAt
                ? ((Signal)(i % 3), 0.4 + 0.4 * ((i * 37) % 600) / 600.0)
                : (i % 5 == 0 ? Signal.Hold : Signal.Buy, 0.9);
            await rig.Monitor.RecordPredictionAsync(MonitorRig.Streamed(candle, signal, confidence, ModelNames.For(DriftMarket.Series), 1),
                CancellationToken.None);
            // Answers to requests (here: always buy) are not part of the stream.
            await rig.Monitor.RecordPredictionAsync(MonitorRig.Streamed(candle, Signal.Buy, 0.99, ModelNames.For(DriftMarket.Series), 1) with
            {
                RequestId = Guid.NewGuid(),
            }, CancellationToken.None);
        });

        var prediction = run.Rig.Drift.Where(e => e.DriftType == DriftType.Prediction).ToList();
        Assert.That(prediction.Where(e => run.CandleOf(e) < 0), Is.Empty, "requested answers did not count");
        var first = prediction.Where(e => e.Severity == DriftSeverity.High).OrderBy(run.CandleOf).FirstOrDefault();
        Assert.That(first, Is.Not.Null, "the signal mix moved");
        TestContext.Out.WriteLine($"PREDICTION drift: first alert after {run.CandleOf(first!)} candles ({first!.Metric} = {first.Value:G3}); " +
            $"metrics alerted: {string.Join(", ", prediction.Where(e => e.Severity == DriftSeverity.High).Select(e => e.Metric).Distinct())}");
        Assert.That(run.CandleOf(first), Is.LessThanOrEqualTo(500));
    }

    [Test]
    public async Task Concept_drift_compares_realised_labels_with_the_models_test_figures()
    {
        const int shiftAt = Train + Warm;
        var labels = new LabelSpec();
        var market = DriftMarket.Generate(Train + Live, 9);
        var features = FeatureCalculator.Compute(market);
        var random = new Random(9);
        int Predict(int i)
        {
            var actual = SignalDataset.RealisedLabel(market, features, labels, i) ?? SignalClasses.Hold;
            // Before the shift the model is right 3 times in 4; after it, it guesses.
            return i < shiftAt ? (random.NextDouble() < 0.75 ? actual : random.Next(3)) : random.Next(3);
        }

        var rig = new MonitorRig();
        await rig.PromoteBaselineAsync(market, Train, metrics: new Dictionary<string, double> { ["macro_f1"] = 0.8, ["accuracy"] = 0.82 });
        await rig.IngestAsync(market.Take(Train).ToList());
        var events = new List<(int Candle, DriftDetected Event)>();
        for (var i = Train; i < market.Count; i++)
        {
            var report = await rig.IngestAsync([market[i]]);
            events.AddRange(report.Events.Select(e => (i - shiftAt, e)));
            await rig.Monitor.RecordPredictionAsync(MonitorRig.Streamed(market[i], (Signal)Predict(i), 0.6, ModelNames.For(DriftMarket.Series), 1),
                CancellationToken.None);
        }

        var concept = events.Where(e => e.Event.DriftType == DriftType.Concept).ToList();
        Assert.That(concept.Where(e => e.Candle < 0 && e.Event.Severity == DriftSeverity.High), Is.Empty, "no alert while the model is right");
        var first = concept.FirstOrDefault(e => e.Event.Severity == DriftSeverity.High);
        Assert.That(first.Event, Is.Not.Null, "realised macro-F1 fell");
        TestContext.Out.WriteLine($"CONCEPT drift: first alert after {first.Candle} candles ({first.Event.Metric} = {first.Event.Value:F3} " +
            $"vs test {first.Event.Baseline:F3}, threshold {first.Event.Threshold:F3})");
        Assert.That(first.Candle, Is.InRange(1, 400), "once enough guesses have been scored");
        Assert.That(first.Event.Baseline, Is.EqualTo(first.Event.Metric == "macro_f1" ? 0.8 : 0.82));
        Assert.That(first.Event.Value, Is.LessThan(first.Event.Threshold));
    }
}
