using NeuralTrade.Events.Contracts;
using NeuralTrade.Events.MarketData;
using NeuralTrade.Events.Modeling;
using NeuralTrade.Events.Testing;
using NeuralTrade.Events.Workers.Registry;

namespace NeuralTrade.Events.Tests;

/// <summary>
/// The gate's statistics, simulated: how often a no-skill candidate replaces a no-skill champion (must be at most 5 %)
/// and how often a candidate with a real edge is promoted, over 500 seeded draws of autocorrelated labels (horizon-5
/// labels of a random walk, as the model's labels are). Pure arithmetic: the same on every CPU.
/// </summary>
public sealed class GateStatisticsTests
{
    const int Draws = 500, Samples = 300, Horizon = 5;

    static readonly RegistryOptions Production = new();

    /// <summary>Horizon-5 labels of a Gaussian random walk with a threshold that makes the three classes about equally frequent.</summary>
    static int[] Labels(Random random)
    {
        var steps = new double[Samples + Horizon];
        for (var i = 0; i < steps.Length; i++)
            steps[i] = Normal(random);
        var labels = new int[Samples];
        var threshold = 0.43 * Math.Sqrt(Horizon);
        for (var t = 0; t < Samples; t++)
        {
            var forward = 0.0;
            for (var h = 1; h <= Horizon; h++)
                forward += steps[Math.Min(t + h, steps.Length - 1)];
            labels[t] = forward > threshold ? SignalClasses.Buy : forward < -threshold ? SignalClasses.Sell : SignalClasses.Hold;
        }

        return labels;
    }

    /// <summary>
    /// A model's signals: with probability <paramref name="skill"/> the true label, otherwise its own persistent guess
    /// (a Markov chain that keeps its class with probability 0.8, as a sequence model's signals do). Skill 0 is no skill.
    /// </summary>
    static int[] Signals(Random random, int[] labels, double skill)
    {
        var signals = new int[labels.Length];
        var guess = random.Next(3);
        for (var i = 0; i < labels.Length; i++)
        {
            if (random.NextDouble() > 0.8)
                guess = random.Next(3);
            signals[i] = random.NextDouble() < skill ? labels[i] : guess;
        }

        return signals;
    }

    static double Normal(Random random) => Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());

    /// <summary>The seed spread the gate adds for a candidate whose run reports none, or less than the prior.</summary>
    static readonly double OneSeedEach = ChampionGate.CandidateSeedSpread(null, Production);

    /// <summary>Share of draws in which the candidate of the given skill is promoted over a champion of the given skill.</summary>
    static double PromotionRate(double candidateSkill, double championSkill, double seedSpread, int seed)
    {
        var random = new Random(seed);
        var block = ChampionGate.BlockLength(Production, Horizon, Samples);
        var promoted = 0;
        for (var d = 0; d < Draws; d++)
        {
            var labels = Labels(random);
            var candidate = Signals(random, labels, candidateSkill);
            var champion = Signals(random, labels, championSkill);
            var options = new RegistryOptions { Seed = seed * 1_000 + d };
            var (delta, lower) = ChampionGate.Compare(labels, candidate, champion, Evaluation.MacroF1, block, options, seedSpread);
            if (lower > 0 && delta >= options.Margin)
                promoted++;
        }

        return (double)promoted / Draws;
    }

    [Test]
    public void The_candidates_seed_spread_is_its_runs_never_below_the_prior()
    {
        static SeedSpread Spread(double sd, int seeds = 3) => new([.. Enumerable.Range(0, seeds)], [.. Enumerable.Repeat(0.5, seeds)], 0, 0.5, sd, 0.5, 0.5);
        var prior = Production.SeedSpreadPrior;
        Assert.Multiple(() =>
        {
            Assert.That(ChampionGate.CandidateSeedSpread(null, Production), Is.EqualTo(prior), "one seed: the prior");
            Assert.That(ChampionGate.CandidateSeedSpread(Spread(0.004), Production), Is.EqualTo(prior), "three seeds that happened to agree do not narrow the interval");
            Assert.That(ChampionGate.CandidateSeedSpread(Spread(0.12), Production), Is.EqualTo(0.12), "a wide spread widens it");
            Assert.That(ChampionGate.CandidateSeedSpread(Spread(0, seeds: 1), Production), Is.EqualTo(prior));
            Assert.That(ChampionGate.CandidateSeedSpread(Spread(double.NaN), Production), Is.EqualTo(prior));
        });
    }

    [Test]
    public void A_no_skill_candidate_replaces_a_no_skill_champion_at_most_5_percent_of_the_time()
    {
        var withSeedSpread = PromotionRate(0, 0, OneSeedEach, seed: 1);
        var bootstrapAlone = PromotionRate(0, 0, 0, seed: 2);
        TestContext.Progress.WriteLine($"no skill vs no skill over {Draws} draws of {Samples} samples: promoted {withSeedSpread:P1} " +
            $"(seed spread {OneSeedEach:0.###} included), {bootstrapAlone:P1} on the bootstrap alone");
        Assert.Multiple(() =>
        {
            Assert.That(withSeedSpread, Is.LessThanOrEqualTo(0.05));
            Assert.That(bootstrapAlone, Is.LessThanOrEqualTo(0.05), "the paired block bootstrap alone already holds its nominal level (2.5 % one-sided)");
        });
    }

    [Test]
    public void A_candidate_with_a_real_edge_is_promoted_at_least_90_percent_of_the_time()
    {
        // Skill 0.3: right on 30 % of windows beyond chance, a macro-F1 about 0.2 above a no-skill champion's. The planted
        // market's models score 0.2 to 0.3 above the baselines (docs/modeling.md), so this is the low end of their edge.
        var rate = PromotionRate(0.3, 0, OneSeedEach, seed: 3);
        var smallEdge = PromotionRate(0.1, 0, OneSeedEach, seed: 4);
        TestContext.Progress.WriteLine($"skill 0.3 vs no skill: promoted {rate:P1}; skill 0.1: {smallEdge:P1} (over {Draws} draws of {Samples} samples)");
        Assert.That(rate, Is.GreaterThanOrEqualTo(0.9));
        Assert.That(smallEdge, Is.LessThan(rate), "a smaller edge is harder to tell from luck");
    }

    [Test]
    public void Identical_models_are_never_significantly_different()
    {
        var random = new Random(5);
        var labels = Labels(random);
        var signals = Signals(random, labels, 0.2);
        var (delta, lower) = ChampionGate.Compare(labels, signals, signals.ToArray(), Evaluation.MacroF1, 7, Production, 0);
        Assert.That((delta, lower), Is.EqualTo((0.0, 0.0)));
    }
}

/// <summary>
/// The gate on real (small) models: its window, its refusals, and the figures it decides on (which must be the run's
/// own test figures for a first model: the same windows, features with the same warm-up, calibrated the same way).
/// </summary>
[NonParallelizable]
[Category(TestCategories.Numerics)]
public sealed class ChampionGateTests
{
    static LoadedModel Load() => ModelArtifact.Read(TrainedModels.Outcome.Artifact, null);

    static IReadOnlyList<Candle> CandlesFor(LoadedModel candidate, LoadedModel? champion)
    {
        var (from, to) = ChampionGate.CandleRange(candidate, champion);
        return TrainedModels.Market.Where(c => c.OpenTime >= from && c.OpenTime <= to).ToList();
    }

    static LoadedModel WithTraining(Func<TrainingInfo, TrainingInfo> change, LabelSpec? labels = null)
    {
        var loaded = Load();
        var manifest = loaded.Manifest with { Training = change(loaded.Manifest.Training), Labels = labels ?? loaded.Manifest.Labels };
        return new LoadedModel(manifest, loaded.Model, loaded.Sha256);
    }

    static readonly RegistryOptions Mechanics = new() { Floors = [], RequireBeatBaseline = false, RequireTradingEdge = false, Confidence = 0 };

    [Test]
    public void A_first_models_gate_figures_are_its_runs_test_figures()
    {
        using var candidate = Load();
        var decision = ChampionGate.Decide(candidate, null, CandlesFor(candidate, null), Mechanics);
        var run = TrainedModels.Outcome.Manifest.Metrics;
        Assert.Multiple(() =>
        {
            Assert.That(decision.Promote, Is.True, decision.Reason);
            Assert.That(decision.CandidateMetrics["samples"], Is.EqualTo(TrainedModels.Outcome.Manifest.Training.TestSamples),
                "the gate scores exactly the run's test windows");
            Assert.That(decision.CandidateMetrics["macro_f1"], Is.EqualTo(run["macro_f1"]).Within(1e-9),
                "features from a full warm-up: the gate's figure is the run's, not a short-history variant of it");
            Assert.That(decision.CandidateMetrics["log_loss"], Is.EqualTo(run["log_loss"]).Within(1e-4), "the calibrated probabilities, both times");
            Assert.That(decision.CandidateMetrics.Keys, Has.Some.StartsWith("baseline_persistence_"));
        });
    }

    [Test]
    public void A_champion_with_another_label_spec_is_refused_never_scored_against_mixed_labels()
    {
        using var candidate = Load();
        using var champion = WithTraining(t => t, new LabelSpec(Horizon: 10, FixedThreshold: 0.006, VolatilityScale: 0));
        var decision = ChampionGate.Decide(candidate, champion, CandlesFor(candidate, champion), new RegistryOptions());
        Assert.That(decision.Promote, Is.False);
        Assert.That(decision.Reason, Does.Contain("another target").And.Contain("horizon 10"));
    }

    [Test]
    public void The_window_starts_after_the_last_candle_the_champion_trained_or_validated_on()
    {
        using var candidate = Load();
        var (testFrom, testTo) = ChampionGate.Window(candidate);
        var minute = TimeSpan.FromMinutes(1);
        using var overlapping = WithTraining(t => t with { ValidationTo = testFrom + 100 * minute });
        var (from, to) = ChampionGate.Window(candidate, overlapping);
        Assert.That((from, to), Is.EqualTo((testFrom + 101 * minute, testTo)), "a lookback retrain's champion saw the window's first 100 candles");

        using var older = WithTraining(t => t with { ValidationTo = testFrom - 500 * minute });
        Assert.That(ChampionGate.Window(candidate, older), Is.EqualTo((testFrom, testTo)), "a champion trained on older data leaves the window whole");

        using var sawAll = WithTraining(t => t with { ValidationTo = testTo + minute });
        var refused = ChampionGate.Decide(candidate, sawAll, CandlesFor(candidate, sawAll), new RegistryOptions());
        Assert.That(refused.Promote, Is.False);
        Assert.That(refused.Reason, Does.Contain("no window is left"));
    }

    [Test]
    public void Too_little_evidence_is_refused_as_such()
    {
        using var candidate = Load();
        var decision = ChampionGate.Decide(candidate, null, CandlesFor(candidate, null), new RegistryOptions { MinSamples = 1_000_000 });
        Assert.That(decision.Promote, Is.False);
        Assert.That(decision.Reason, Does.Contain("the gate needs 1000000"));
    }

    [Test]
    public void The_same_weights_never_significantly_beat_themselves()
    {
        using var candidate = Load();
        using var champion = Load();
        var decision = ChampionGate.Decide(candidate, champion, CandlesFor(candidate, champion), new RegistryOptions { Floors = [], RequireBeatBaseline = false, RequireTradingEdge = false });
        Assert.That(decision.Promote, Is.False);
        Assert.That(decision.Reason, Does.Contain("does not beat the champion's").And.Contain("significantly"));
        Assert.That(decision.CandidateMetrics[ChampionGate.ChampionDeltaMetric], Is.Zero);
    }
}
