using System.Globalization;
using NeuralTrade.Events.Contracts;
using NeuralTrade.Events.MarketData;
using NeuralTrade.Events.Modeling;
using NeuralTrade.Events.Testing;
using NeuralTrade.Events.Workers.Registry;
using static TorchSharp.torch;

namespace NeuralTrade.Events.Tests;

/// <summary>
/// Evidence from a real market: the daily S&amp;P 500, 2000 to April 2020 (5,105 candles, from the vega-datasets npm
/// package 3.2.1, Yahoo Finance; samples/sp500-daily-2000-2020.csv). The short form (CI) runs a 3-fold walk-forward of
/// a small recipe on 2010–2020 and gates a model trained on the whole file; the long form
/// (<c>NEURALTRADE_WALK_FORWARD=long</c>) runs the 5-fold walk-forward of docs/modeling.md over all of it and prints the
/// table. The claims asserted are the robust ones: the walk-forward's structure, and that the gate refuses to serve a
/// model that does not out-trade holding the index. The figures themselves differ slightly between CPUs.
/// </summary>
[NonParallelizable]
[Category(TestCategories.Numerics)]
public sealed class RealMarketTests
{
    public const string LongVariable = "NEURALTRADE_WALK_FORWARD";
    static readonly SeriesKey Series = new("nyse", "SPX/USD", "1d");

    /// <summary>The recipe of the demo (small, fast): window 30, hidden 32, one layer.</summary>
    static readonly Hyperparameters Recipe = new()
    {
        WindowSize = 30, HiddenSize = 32, NumLayers = 1, Epochs = 20, BatchSize = 64, LearningRate = 0.003, Patience = 5, MinSamples = 200,
        Seed = TestSeeds.Of(7), Seeds = 1,
    };

    static bool Long => Environment.GetEnvironmentVariable(LongVariable) == "long";

    internal static List<Candle> Sp500()
    {
        var file = Path.Combine(AppContext.BaseDirectory, "samples", "sp500-daily-2000-2020.csv");
        using var reader = File.OpenText(file);
        return CandleCsv.Read(reader, Series.Exchange, Series.Symbol, Series.Interval).Select(r => r.Candle!).ToList();
    }

    [Test]
    public void The_file_is_the_real_index_with_its_market_calendar()
    {
        var candles = Sp500();
        Assert.Multiple(() =>
        {
            Assert.That(candles, Has.Count.EqualTo(5_105));
            Assert.That(candles[0].OpenTime, Is.EqualTo(new DateTimeOffset(2000, 1, 3, 0, 0, 0, TimeSpan.Zero)));
            Assert.That(candles[0].Close, Is.EqualTo(1455.219971m), "the S&P 500's close on 3 January 2000");
            // Weekends and holidays are missing days; the 9/11 closure is the longest gap (Sep 10 → Sep 17, 2001).
            var longest = candles.Zip(candles.Skip(1)).MaxBy(p => p.Second.OpenTime - p.First.OpenTime);
            Assert.That(longest.First.OpenTime, Is.EqualTo(new DateTimeOffset(2001, 9, 10, 0, 0, 0, TimeSpan.Zero)));
        });
    }

    [Test]
    public void Walk_forward_on_the_daily_SP500_reports_each_fold_and_an_honest_verdict()
    {
        set_num_threads(1);
        var all = Sp500();
        var candles = Long ? all : all.Where(c => c.OpenTime.Year >= 2010).ToList();
        var hp = Long ? Recipe : Recipe with { Epochs = 8, Patience = 3 };
        var folds = Long ? 5 : 3;
        var report = WalkForward.Run(candles, hp, new WalkForwardOptions { Folds = folds }, CPU);
        TestContext.Progress.WriteLine(report.ToTable());

        var a = report.Aggregate;
        Assert.Multiple(() =>
        {
            Assert.That(report.Folds, Has.Count.EqualTo(folds));
            Assert.That(report.Folds.Zip(report.Folds.Skip(1)).All(p => p.First.TestTo < p.Second.TestFrom), "test blocks in time order, apart");
            Assert.That(a.Samples, Is.EqualTo(report.Folds.Sum(f => f.Test.Samples)));
            Assert.That(a.Baselines.Select(b => b.Name), Is.SupersetOf(new[] { Baselines.BuyAndHold, Baselines.AlwaysHold, Baselines.Persistence }));
            Assert.That(a.MacroF1.Lower, Is.LessThanOrEqualTo(a.MacroF1.Upper));
            Assert.That(a.Verdict, Does.Contain(a.SignificantEdge ? "significant classification edge over every baseline" : "no significant classification edge"));
            Assert.That(a.Verdict, Does.Contain(a.TradingEdge ? "significant trading edge" : "no significant trading edge"));
        });
    }

    [Test]
    public void The_gate_refuses_a_model_of_the_daily_SP500_and_says_why()
    {
        set_num_threads(1);
        var candles = Sp500();
        var outcome = ModelTraining.Run(ModelNames.For(Series), Series, candles, Recipe with { Epochs = 10 }, CPU);
        using var candidate = ModelArtifact.Read(outcome.Artifact, null);
        var (from, to) = ChampionGate.CandleRange(candidate, null);
        var window = candles.Where(c => c.OpenTime >= from && c.OpenTime <= to).ToList();
        var decision = ChampionGate.Decide(candidate, null, window, new RegistryOptions());
        TestContext.Progress.WriteLine($"gate on the daily S&P 500 ({decision.CandidateMetrics.GetValueOrDefault("samples")} windows, " +
            $"{decision.WindowFrom:yyyy-MM-dd} to {decision.WindowTo:yyyy-MM-dd}): promote={decision.Promote}: {decision.Reason}");
        TestContext.Progress.WriteLine(string.Join(", ", decision.CandidateMetrics.Where(m => m.Key.Contains("macro_f1") || m.Key.Contains("sharpe"))
            .Select(m => string.Create(CultureInfo.InvariantCulture, $"{m.Key} {m.Value:0.###}"))));
        Assert.That(decision.Promote, Is.False, "no model of the daily index beats the baselines and out-trades holding it beyond luck on the held-out years");
        Assert.That(decision.Reason, Does.Contain("baseline").Or.Contain("floor"), "the refusal names what was not beaten");
    }
}

/// <summary>
/// The gate's two probabilities checked with real trainings rather than simulated predictions: a model of the demo
/// market (its planted edge) is promoted as a first model, and a model of a random walk does not replace a random-walk
/// champion. CI trains three of the first and one of the second (<c>NEURALTRADE_GATE_TRAININGS</c> sets more); the figures
/// of docs/modeling.md come from 40.
/// The random-walk test also reports how often the comparison with the champion alone (no floor, no baseline or trading
/// test) would have replaced it, since the production gate stops most random-walk models at the floor first.
/// </summary>
[NonParallelizable]
[Category(TestCategories.Numerics)]
public sealed class GatePowerTests
{
    public const string TrainingsVariable = "NEURALTRADE_GATE_TRAININGS";

    static int Trainings => int.TryParse(Environment.GetEnvironmentVariable(TrainingsVariable), CultureInfo.InvariantCulture, out var n) && n > 0 ? n : 1;

    /// <summary>The demo's recipe (Fleet/FleetDemo.cs) with one seed.</summary>
    static readonly Hyperparameters DemoRecipe = new()
    {
        WindowSize = 30, HiddenSize = 32, NumLayers = 1, Epochs = 40, BatchSize = 64, LearningRate = 0.003, Patience = 10, MinSamples = 200,
        VolatilityScale = 1.0, Seeds = 1,
    };

    /// <summary>The production gate without its floor, baseline and trading tests: the comparison with the champion alone.</summary>
    static readonly RegistryOptions ChampionComparisonOnly = new()
    {
        Floors = new Dictionary<string, double>(), RequireBeatBaseline = false, RequireTradingEdge = false,
    };

    static GateDecision Gate(IReadOnlyList<Candle> candles, TrainingOutcome candidateOutcome, TrainingOutcome? championOutcome, RegistryOptions? options = null)
    {
        using var candidate = ModelArtifact.Read(candidateOutcome.Artifact, null);
        using var champion = championOutcome is null ? null : ModelArtifact.Read(championOutcome.Artifact, null);
        var (from, to) = ChampionGate.CandleRange(candidate, champion);
        return ChampionGate.Decide(candidate, champion, candles.Where(c => c.OpenTime >= from && c.OpenTime <= to).ToList(), options ?? new RegistryOptions());
    }

    [Test]
    public void A_model_of_the_demo_markets_planted_edge_is_promoted()
    {
        set_num_threads(1);
        var promoted = 0;
        var trainings = Math.Max(Trainings, 3);
        for (var i = 0; i < trainings; i++)
        {
            var market = new MarketSimulator(SimulatedMarket.Demo(100_000) with { Seed = TestSeeds.Of(100 + i) }).Generate(3_500).ToList();
            var series = new SeriesKey(market[0].Exchange, market[0].Symbol, market[0].Interval);
            var outcome = ModelTraining.Run(ModelNames.For(series), series, market, DemoRecipe with { Seed = TestSeeds.Of(7 + i) }, CPU);
            var decision = Gate(market, outcome, null);
            TestContext.Progress.WriteLine($"demo market {i}: promote={decision.Promote}: {decision.Reason}");
            if (decision.Promote)
                promoted++;
        }

        TestContext.Progress.WriteLine($"PLANTED EDGE: promoted {promoted} of {trainings}");
        // The rate (≥ 90 % asked; 92.5 % measured over 40); CI's short form trains three and allows one refusal, since a
        // single model of the planted market is refused about 7 % of the time (and another CPU's floats train another model).
        // 40 trainings measured 37 promoted, a 95 % interval of [0.80, 0.98]: a long run asserts what its count can show.
        if (trainings >= 10)
            Assert.That((double)promoted / trainings, Is.GreaterThanOrEqualTo(0.8));
        else
            Assert.That(promoted, Is.GreaterThanOrEqualTo(trainings - 1), $"promoted {promoted} of {trainings}");
    }

    [Test]
    public void A_model_of_a_random_walk_does_not_replace_a_random_walk_champion()
    {
        set_num_threads(1);
        var (replaced, replacedOnComparison) = (0, 0);
        for (var i = 0; i < Trainings; i++)
        {
            var walk = new MarketSimulator(new SimulatedMarket { Seed = TestSeeds.Of(200 + i), MeanRegimeLength = double.PositiveInfinity }).Generate(4_000).ToList();
            var series = new SeriesKey(walk[0].Exchange, walk[0].Symbol, walk[0].Interval);
            var name = ModelNames.For(series);
            var recipe = DemoRecipe with { Epochs = 15, Patience = 5 };
            // The champion trained on the first half; the candidate, a retrain, on everything (the gate leaves out what the champion saw).
            var champion = ModelTraining.Run(name, series, walk.Take(2_000).ToList(), recipe with { Seed = TestSeeds.Of(11 + i) }, CPU);
            var candidate = ModelTraining.Run(name, series, walk, recipe with { Seed = TestSeeds.Of(31 + i) }, CPU);
            var decision = Gate(walk, candidate, champion);
            var comparison = Gate(walk, candidate, champion, ChampionComparisonOnly);
            TestContext.Progress.WriteLine($"random walk {i}: promote={decision.Promote}: {decision.Reason} | champion comparison alone: " +
                $"promote={comparison.Promote}: {comparison.Reason}");
            if (decision.Promote)
                replaced++;
            if (comparison.Promote)
                replacedOnComparison++;
        }

        TestContext.Progress.WriteLine($"NO SKILL: replaced {replaced} of {Trainings}; on the champion comparison alone {replacedOnComparison} of {Trainings}");
        Assert.That((double)replaced / Trainings, Is.LessThanOrEqualTo(0.05));
    }
}
