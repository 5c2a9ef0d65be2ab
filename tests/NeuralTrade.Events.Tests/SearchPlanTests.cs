using NeuralTrade.Events.Contracts;
using NeuralTrade.Events.Modeling;
using NeuralTrade.Events.Modeling.Search;

namespace NeuralTrade.Events.Tests;

/// <summary>The search space's bounds and refusals, the trial plans of grid and random search, and ASHA's rungs and stopping rule.</summary>
public sealed class SearchPlanTests
{
    static readonly Hyperparameters Base = new();

    static IReadOnlyList<string> Refusals(params SearchDimension[] dimensions)
    {
        Assert.That(SearchSpace.Create(dimensions, Base, out var problems), Is.Null);
        return problems;
    }

    [Test]
    public void A_space_outside_the_recipe_or_its_bounds_is_refused_with_the_reason()
    {
        Assert.Multiple(() =>
        {
            Assert.That(Refusals(), Has.Some.Contains("empty"));
            Assert.That(Refusals(SearchDimension.Of("nope", 1)), Has.Some.Contains("unknown hyperparameter 'nope'"));
            Assert.That(Refusals(SearchDimension.Of("horizon", 5, 10)), Has.Some.Contains("'horizon' cannot be searched"));
            Assert.That(Refusals(SearchDimension.Of("seeds", 1, 2)), Has.Some.Contains("'seeds' cannot be searched"));
            Assert.That(Refusals([.. Enumerable.Range(0, 9).Select(i => SearchDimension.Of("dropout", 0.1))]), Has.Some.Contains("at most 8"));
            Assert.That(Refusals(SearchDimension.Of("dropout", 0.1), SearchDimension.Of("dropout", 0.2)), Has.Some.Contains("appears twice"));
            Assert.That(Refusals(SearchDimension.Of("dropout")), Has.Some.Contains("0 values"));
            Assert.That(Refusals(SearchDimension.Of("dropout", [.. Enumerable.Range(0, 33).Select(i => i / 100.0)])), Has.Some.Contains("33 values"));
            Assert.That(Refusals(SearchDimension.Of("hiddenSize", 32, 33)), Has.Some.Contains("'hiddenSize' = 33").And.Some.Contains("even"));
            Assert.That(Refusals(SearchDimension.Of("hiddenSize", 32.5)), Has.Some.Contains("is an integer"));
            Assert.That(Refusals(SearchDimension.Between("hiddenSize", 16, 64)), Has.Some.Contains("'hiddenSize' = 17"), "an integer interval must hold only valid settings");
            Assert.That(Refusals(SearchDimension.Of("dropout", 1.0)), Has.Some.Contains("dropout 1 must be in [0, 1)"));
            Assert.That(Refusals(SearchDimension.Between("learningRate", 0, 0.1, log: true)), Has.Some.Contains("log interval needs min > 0"));
            Assert.That(Refusals(SearchDimension.Between("learningRate", 0.1, 0.01)), Has.Some.Contains("min ≤ max"));
            Assert.That(Refusals(SearchDimension.Between("learningRate", double.NaN, 0.01)), Has.Some.Contains("must be finite"));
            Assert.That(Refusals(new SearchDimension("dropout", [0.1], 0, 0.5)), Has.Some.Contains("not both"));
            Assert.That(Refusals(new SearchDimension("dropout")), Has.Some.Contains("give values, or min and max"));
            Assert.That(Refusals(SearchDimension.Of("epochs", 1e12)), Has.Some.Contains("out of range"));
        });
    }

    [Test]
    public void A_grid_tries_every_combination_the_last_dimension_fastest()
    {
        var space = SearchSpace.Create([SearchDimension.Of("hiddenSize", 32, 64), SearchDimension.Of("learningRate", 1e-3, 3e-3, 1e-2)], Base, out var problems)!;
        Assert.That(problems, Is.Empty);

        var plan = TrialPlan.Create(space, Base, SearchStrategies.Grid, 16, seed: 1, out problems)!;

        Assert.That(problems, Is.Empty);
        Assert.That(plan.Select(t => (t.Recipe.HiddenSize, t.Recipe.LearningRate)), Is.EqualTo(new[]
        {
            (32, 1e-3), (32, 3e-3), (32, 1e-2), (64, 1e-3), (64, 3e-3), (64, 1e-2),
        }));
        Assert.That(plan.Select(t => t.Index), Is.EqualTo(Enumerable.Range(0, 6)));
        Assert.That(plan.All(t => t.Recipe with { HiddenSize = Base.HiddenSize, LearningRate = Base.LearningRate } == Base), "nothing else changes");
        Assert.That(plan[4].Describe(), Is.EqualTo("hiddenSize=64 learningRate=0.003"));
    }

    [Test]
    public void A_grid_over_the_budget_or_with_an_interval_is_refused()
    {
        var big = SearchSpace.Create([SearchDimension.Of("hiddenSize", 16, 32, 64, 128), SearchDimension.Of("dropout", 0, 0.1, 0.2, 0.3, 0.4)], Base, out _)!;
        Assert.That(TrialPlan.Create(big, Base, SearchStrategies.Grid, 16, 1, out var problems), Is.Null);
        Assert.That(problems, Has.Some.Contains("20 combinations, more than the budget of 16"));

        var interval = SearchSpace.Create([SearchDimension.Between("dropout", 0, 0.5)], Base, out _)!;
        Assert.That(TrialPlan.Create(interval, Base, SearchStrategies.Grid, 16, 1, out problems), Is.Null);
        Assert.That(problems, Has.Some.Contains("an interval is for random search"));
        Assert.That(TrialPlan.Create(interval, Base, "bayes", 16, 1, out problems), Is.Null);
        Assert.That(problems, Has.Some.Contains("strategy 'bayes' is unknown"));
        Assert.That(TrialPlan.Create(interval, Base, SearchStrategies.Random, 257, 1, out problems), Is.Null);
        Assert.That(problems, Has.Some.Contains("trials 257 must be 1 to 256"));
    }

    [Test]
    public void Random_search_draws_the_same_trials_for_the_same_seed_within_the_space()
    {
        var space = SearchSpace.Create(
        [
            SearchDimension.Between("learningRate", 1e-4, 1e-1, log: true), SearchDimension.Between("epochs", 3, 9),
            SearchDimension.Of("hiddenSize", 16, 32, 64), SearchDimension.Between("dropout", 0, 0.5),
        ], Base, out var problems)!;
        Assert.That(problems, Is.Empty);

        var plan = TrialPlan.Create(space, Base, SearchStrategies.Random, 200, seed: 7, out _)!;
        var again = TrialPlan.Create(space, Base, SearchStrategies.Random, 200, seed: 7, out _)!;
        var other = TrialPlan.Create(space, Base, SearchStrategies.Random, 200, seed: 8, out _)!;

        Assert.That(plan, Has.Count.EqualTo(200));
        Assert.That(plan.Select(t => t.Recipe), Is.EqualTo(again.Select(t => t.Recipe)), "a redelivered request plans the same trials");
        Assert.That(plan.Select(t => t.Recipe), Is.Not.EqualTo(other.Select(t => t.Recipe)));
        Assert.That(plan.Select(t => t.Recipe.LearningRate), Is.All.InRange(1e-4, 1e-1));
        Assert.That(plan.Select(t => t.Recipe.Epochs), Is.All.InRange(3, 9));
        Assert.That(plan.Select(t => t.Recipe.Epochs).Distinct().Order(), Is.EqualTo(Enumerable.Range(3, 7)), "every integer of the interval drawn");
        Assert.That(plan.Select(t => t.Recipe.HiddenSize).Distinct().Order(), Is.EqualTo(new[] { 16, 32, 64 }));
        Assert.That(plan.Select(t => t.Recipe.Dropout), Is.All.InRange(0.0, 0.5));
        Assert.That(plan.SelectMany(t => t.Recipe.Validate()), Is.Empty);
        // Log-uniform: about half the draws below the geometric middle of the interval (1e-2.5), not 3 % as uniform would give.
        var below = plan.Count(t => t.Recipe.LearningRate < Math.Pow(10, -2.5));
        Assert.That(below, Is.InRange(70, 130));
    }

    [Test]
    public void Asha_rungs_grow_by_the_reduction_factor_below_the_maximum()
    {
        Assert.Multiple(() =>
        {
            Assert.That(Asha.Rungs(1, 27, 3), Is.EqualTo(new[] { 1, 3, 9 }));
            Assert.That(Asha.Rungs(2, 20, 2), Is.EqualTo(new[] { 2, 4, 8, 16 }));
            Assert.That(Asha.Rungs(5, 5, 3), Is.Empty, "no rung when the grace period is the whole budget");
        });
    }

    [Test]
    public void Asha_stops_a_trial_below_the_top_fraction_of_those_before_it_at_the_rung()
    {
        Assert.Multiple(() =>
        {
            Assert.That(Asha.Decide([], 0.01, 3), Is.EqualTo(RungDecision.Continue), "the first at a rung goes on");
            // numpy.percentile([0.1, 0.2, 0.3, 0.4], 66.67) = 0.3
            Assert.That(Asha.Cutoff([0.4, 0.1, 0.3, 0.2], 3), Is.EqualTo(0.3).Within(1e-12));
            Assert.That(Asha.Cutoff([0.1, 0.2], 2), Is.EqualTo(0.15).Within(1e-12));
            Assert.That(Asha.Decide([0.4, 0.1, 0.3, 0.2], 0.29, 3), Is.EqualTo(RungDecision.Stop));
            Assert.That(Asha.Decide([0.4, 0.1, 0.3, 0.2], 0.30, 3), Is.EqualTo(RungDecision.Continue));
            Assert.That(Asha.Decide([0.4], double.NaN, 3), Is.EqualTo(RungDecision.Stop), "a trial whose metric is not a number does not go on");
        });
    }

    [Test]
    public void Asha_lets_about_one_in_eta_go_on_from_a_rung()
    {
        var random = new Random(3);
        var recorded = new List<double>();
        var continued = 0;
        for (var i = 0; i < 243; i++)
        {
            var value = random.NextDouble();
            if (Asha.Decide(recorded, value, 3) == RungDecision.Continue)
                continued++;
            recorded.Add(value);
        }

        Assert.That(continued / 243.0, Is.InRange(0.25, 0.45), $"{continued} of 243 went on");
    }

    [Test]
    public void A_search_request_is_planned_in_the_order_of_its_names_with_asha_rungs()
    {
        var request = new SearchRequest
        {
            Space = new Dictionary<string, SearchRange>
            {
                ["learningRate"] = new() { Values = [1e-3, 3e-3] },
                ["hiddenSize"] = new() { Values = [32, 64] },
            },
            Strategy = SearchStrategies.Grid, Trials = 4, EarlyStopping = new EarlyStoppingRequest { GraceEpochs = 2, ReductionFactor = 3 },
        };

        var plan = SearchRequests.Plan(request, Base with { Epochs = 30 }, out var problems)!;

        Assert.That(problems, Is.Empty);
        Assert.That(plan.Trials.Select(t => (t.Recipe.HiddenSize, t.Recipe.LearningRate)), Is.EqualTo(new[] { (32, 1e-3), (32, 3e-3), (64, 1e-3), (64, 3e-3) }),
            "hiddenSize before learningRate, whatever the JSON's order");
        Assert.That(plan.Rungs, Is.EqualTo(new[] { 2, 6, 18 }));
        Assert.That(plan.ReductionFactor, Is.EqualTo(3));
    }

    [Test]
    public void A_search_request_that_cannot_run_is_refused_with_every_reason()
    {
        var request = new SearchRequest
        {
            Space = new Dictionary<string, SearchRange> { ["epochs"] = new() { Values = [5, 10] }, ["horizon"] = new() { Values = [3] } },
            Trials = 500, EarlyStopping = new EarlyStoppingRequest { GraceEpochs = 40, ReductionFactor = 9 },
        };

        Assert.That(SearchRequests.Plan(request, Base, out var problems), Is.Null);
        Assert.That(problems, Has.Some.Contains("'horizon' cannot be searched")
            .And.Some.Contains("reductionFactor 9 must be 2 to 8")
            .And.Some.Contains("graceEpochs 40 must be at least 1 and below the recipe's epochs (30)"));
        Assert.That(SearchRequests.Plan(request with { Space = new Dictionary<string, SearchRange> { ["epochs"] = new() { Values = [5, 10] } } }, Base, out problems),
            Is.Null);
        Assert.That(problems, Has.Some.Contains("epochs cannot be searched with early stopping").And.Some.Contains("trials 500 must be 1 to 256"));
    }

    [Test]
    public void The_asha_hook_records_at_each_rung_and_stops_a_trial_below_the_cut()
    {
        var recorded = new Dictionary<int, List<double>> { [2] = [-0.9, -0.8, -0.7, -0.6] };
        IReadOnlyList<double> Record(int rung, double metric)
        {
            var before = recorded.TryGetValue(rung, out var list) ? list.ToList() : [];
            recorded[rung] = [.. before, metric];
            return before;
        }

        static EpochProgress Epoch(int e, double validationLoss) => new(e, 30, 1, validationLoss, 1e-3, true, 0, TimeSpan.Zero);
        var seen = new List<int>();
        var good = AshaHook.Create([2, 6], 3, Record, e => seen.Add(e.Epoch));
        good(Epoch(1, 0.5));
        good(Epoch(2, 0.5)); // -0.5 above the cut of [-0.9 … -0.6]: goes on
        good(Epoch(6, 0.4)); // the first at rung 6: goes on
        Assert.That(seen, Is.EqualTo(new[] { 1, 2, 6 }));
        Assert.That(recorded[2], Has.Count.EqualTo(5));
        Assert.That(recorded[6], Is.EqualTo(new[] { -0.4 }));

        var bad = AshaHook.Create([2, 6], 3, Record);
        var stop = Assert.Throws<TrialStoppedException>(() => bad(Epoch(2, 0.95)))!;
        Assert.That((stop.Rung, stop.ValidationLoss), Is.EqualTo((2, 0.95)));
        Assert.That(stop.Message, Does.Contain("epoch 2"));
    }
}
