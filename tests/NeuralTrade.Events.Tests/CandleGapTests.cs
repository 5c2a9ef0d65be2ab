using NeuralTrade.Events.Contracts;
using NeuralTrade.Events.Modeling;
using NeuralTrade.Events.Testing;

namespace NeuralTrade.Events.Tests;

/// <summary>Missing candles in training samples, labels, the split and the served window (maxGapCandles).</summary>
public sealed class CandleGapTests
{
    static readonly LabelSpec Labels = new(Horizon: 5);
    const int Window = 30;
    static readonly int Warmup = FeatureSpec.OhlcvV1.Warmup;

    /// <summary>600 one-minute candles with candles 300 to 309 missing: the step from index 299 to 300 misses 10.</summary>
    static List<Candle> WithHole() => TestCandles.Series(600).Where((_, i) => i is < 300 or > 309).ToList();

    /// <summary>Daily candles on weekdays only, from Monday 2001-01-01, as a daily equity series has them.</summary>
    static List<Candle> Weekdays(int days) =>
        TestCandles.Series(days, interval: "1d", start: new DateTimeOffset(2001, 1, 1, 0, 0, 0, TimeSpan.Zero))
            .Where(c => c.OpenTime.DayOfWeek is not (DayOfWeek.Saturday or DayOfWeek.Sunday)).ToList();

    /// <summary>Every candle a sample reads: its first feature's warm-up, its window, its label's horizon.</summary>
    static (int First, int Last) Span(Sample s) => (s.End - Window + 1 - Warmup, s.End + Labels.Horizon);

    [Test]
    public void Build_keeps_no_sample_across_a_10_candle_hole_and_every_sample_on_either_side()
    {
        var candles = WithHole();

        var data = SignalDataset.Build(candles, Window, Labels);

        var firstEnd = Warmup + Window - 1;
        var lastEndBefore = 299 - Labels.Horizon;          // its label's last candle is the one before the hole
        var firstEndAfter = 300 + Warmup + Window - 1;     // its warm-up's first candle is the one after it
        var lastEnd = candles.Count - 1 - Labels.Horizon;
        Assert.That(data.Samples.Select(s => s.End), Is.EqualTo(
            Enumerable.Range(firstEnd, lastEndBefore - firstEnd + 1).Concat(Enumerable.Range(firstEndAfter, lastEnd - firstEndAfter + 1))));
        Assert.That(data.Samples.Where(s => Span(s).First <= 299 && Span(s).Last >= 300), Is.Empty);
    }

    [Test]
    public void A_tolerance_as_large_as_the_hole_keeps_every_sample()
    {
        var candles = WithHole();

        var data = SignalDataset.Build(candles, Window, Labels, maxGapCandles: 10);

        Assert.That(data.Samples, Has.Count.EqualTo(candles.Count - Labels.Horizon - (Warmup + Window - 1)));
    }

    [Test]
    public void Weekends_and_long_weekends_of_a_daily_series_pass_at_the_default_and_a_closure_does_not()
    {
        var weekdays = Weekdays(600);
        var contiguous = weekdays.Count - Labels.Horizon - (Warmup + Window - 1);
        var longWeekend = weekdays.Where(c => c.OpenTime != new DateTimeOffset(2001, 9, 3, 0, 0, 0, TimeSpan.Zero)).ToList(); // Labor Day
        // 2001-09-11 to 09-14: the market closed after 9/11; Monday 09-10 is followed by Monday 09-17, 6 days missing.
        var closure = longWeekend.Where(c => c.OpenTime.Month != 9 || c.OpenTime.Year != 2001 || c.OpenTime.Day is < 11 or > 14).ToList();

        Assert.That(SignalDataset.Build(weekdays, Window, Labels).Samples, Has.Count.EqualTo(contiguous), "2 days missing each weekend");
        Assert.That(SignalDataset.Build(longWeekend, Window, Labels).Samples, Has.Count.EqualTo(contiguous - 1), "3 missing over Labor Day");
        Assert.That(SignalDataset.Build(weekdays, Window, Labels, maxGapCandles: 1).Samples, Is.Empty, "a tolerance of 1 refuses weekends");

        var afterClosure = SignalDataset.Build(closure, Window, Labels);
        var reopen = closure.FindIndex(c => c.OpenTime == new DateTimeOffset(2001, 9, 17, 0, 0, 0, TimeSpan.Zero));
        Assert.That(afterClosure.Samples.Where(s => Span(s).First < reopen && Span(s).Last >= reopen), Is.Empty);
        Assert.That(afterClosure.Samples, Has.Count.EqualTo(contiguous - 1 - 4 - (Warmup + Window - 1 + Labels.Horizon)));
    }

    [Test]
    public void Split_purges_in_time_with_gaps_in_the_series()
    {
        // Two candles missing after every fifth: tolerated, so samples stay but candle counts and time disagree; plus a hole.
        var candles = TestCandles.Series(3_000).Where((_, i) => i % 7 is not (5 or 6) && i is < 1_900 or > 1_930).ToList();
        var data = SignalDataset.Build(candles, Window, Labels);

        var split = data.Split(0.7, 0.15);

        foreach (var (previous, next) in new[] { (split.Train, split.Validation), (split.Validation, split.Test) })
        {
            var lastLabelEnd = candles[previous[^1].End + Labels.Horizon].OpenTime;
            var nextWindowStart = candles[next[0].End - Window + 1].OpenTime;
            Assert.That(nextWindowStart, Is.GreaterThan(lastLabelEnd), "the next part's first window starts after the last label ends");
            Assert.That(next[0].End - previous[^1].End - 1, Is.GreaterThanOrEqualTo(Labels.Horizon).And.GreaterThanOrEqualTo(split.Gap));
        }

        Assert.That(split.Train.Concat(split.Validation).Concat(split.Test).Select(s => s.End), Is.Ordered.Ascending.And.Unique);
    }

    [Test]
    public void Realised_label_is_null_when_its_horizon_spans_a_gap_beyond_the_tolerance()
    {
        var candles = WithHole();
        var features = FeatureCalculator.Compute(candles);

        Assert.That(SignalDataset.RealisedLabel(candles, features, Labels, 299 - Labels.Horizon), Is.Not.Null);
        Assert.That(SignalDataset.RealisedLabel(candles, features, Labels, 299 - Labels.Horizon + 1), Is.Null);
        Assert.That(SignalDataset.RealisedLabel(candles, features, Labels, 299), Is.Null);
        Assert.That(SignalDataset.RealisedLabel(candles, features, Labels, 299, maxGapCandles: 10), Is.Not.Null);
        Assert.That(SignalDataset.RealisedLabel(candles, features, Labels, 300), Is.Not.Null, "the hole is behind it");
    }

    [Test]
    public void Serving_refuses_a_window_across_a_big_gap_and_accepts_one_after_it()
    {
        using var model = Model(hyperparameters: new Dictionary<string, string>());
        // Gaps are checked over the window and its warm-up, as training checks a sample.
        var needed = FeatureSpec.OhlcvV1.Warmup + Window;
        var candles = WithHole();

        var across = Assert.Throws<NotEnoughDataException>(() => ServingWindow.Latest(model, candles.Take(300 + needed - 1).ToList()));
        Assert.That(across!.Message, Does.Contain("10 candles are missing").And.Contain("tolerates 3").And.Contain("when 1 more candles"));
        Assert.That(ServingWindow.Latest(model, candles.Take(300 + needed).ToList()), Has.Length.EqualTo(Window * FeatureSpec.OhlcvV1.Count),
            "the window and its warm-up start after the hole");
        Assert.That(ServingWindow.Latest(model, candles.Take(290).ToList()), Has.Length.EqualTo(Window * FeatureSpec.OhlcvV1.Count));
    }

    [Test]
    public void Serving_uses_the_models_own_tolerance_and_3_when_its_artifact_has_none()
    {
        var candles = WithHole().Take(320).ToList();
        using var tolerant = Model(new Hyperparameters { MaxGapCandles = 10 }.ToDictionary());
        using var strict = Model(new Hyperparameters { MaxGapCandles = 9 }.ToDictionary());
        using var older = Model(new Dictionary<string, string> { ["windowSize"] = "30" });

        Assert.That(ServingWindow.MaxGapCandles(tolerant), Is.EqualTo(10));
        Assert.That(ServingWindow.MaxGapCandles(older), Is.EqualTo(CandleGaps.DefaultMaxGapCandles));
        Assert.That(ServingWindow.Latest(tolerant, candles), Is.Not.Empty);
        Assert.Throws<NotEnoughDataException>(() => ServingWindow.Latest(strict, candles));
    }

    [Test]
    public void MaxGapCandles_is_validated_and_travels_with_the_hyperparameters()
    {
        Assert.That(new Hyperparameters().ToDictionary()[CandleGaps.HyperparameterName], Is.EqualTo("3"));
        Assert.That(new Hyperparameters { MaxGapCandles = -1 }.Validate(), Has.One.StartsWith("maxGapCandles"));
        var applied = Hyperparameters.Apply(new Dictionary<string, System.Text.Json.JsonElement>
        {
            ["maxGapCandles"] = System.Text.Json.JsonDocument.Parse("0").RootElement,
        }, out var problems);
        Assert.That((applied.MaxGapCandles, problems.Count), Is.EqualTo((0, 0)));
    }

    /// <summary>An untrained model of the window above, with the given hyperparameters in its manifest.</summary>
    static LoadedModel Model(IReadOnlyDictionary<string, string> hyperparameters)
    {
        var features = FeatureSpec.OhlcvV1.Count;
        var manifest = new ArtifactManifest
        {
            ModelName = "signal-test", CreatedAt = TestCandles.Start, FeatureSpecId = FeatureSpec.OhlcvV1.Id, FeatureNames = FeatureSpec.OhlcvV1.Names,
            Scaler = new ScalerInfo(new float[features], Enumerable.Repeat(1f, features).ToArray(), 5), Labels = Labels,
            WindowSize = Window, HiddenSize = 4, NumLayers = 1, Dropout = 0, Hyperparameters = hyperparameters,
            Metrics = new Dictionary<string, double>(), ConfusionMatrix = [], FeatureBaseline = [],
            PredictionBaseline = new PredictionBaseline([], [], []),
            Training = new TrainingInfo("binance:BTC/USDT:1m", TestCandles.Start, TestCandles.Start, 0, 0, 0, 0, 0, "cpu", 0, 0, 0),
        };
        return new LoadedModel(manifest, new SignalPredictor(features, 4, 1, 0), "none");
    }
}
