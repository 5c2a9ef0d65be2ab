using Microsoft.Extensions.Options;
using NeuralTrade.Events.Contracts;
using NeuralTrade.Events.Modeling;
using NeuralTrade.Events.Stores;
using NeuralTrade.Events.Testing;
using NeuralTrade.Events.Workers.Monitor;

namespace NeuralTrade.Events.Tests;

/// <summary>
/// Concept drift is measured against the mean over the champion's training seeds, not its served seed's own test
/// score (one draw of the recipe): live skill at the seeds' mean is not drift; a fall below the mean by the allowed drop is.
/// </summary>
public sealed class ConceptDriftBaselineTests
{
    static readonly MonitorOptions Options = new();

    /// <summary>200 labelled outcomes, every class alike, <paramref name="rightEvery"/> of each 20 predicted right, the rest off by one class.</summary>
    static List<WindowEntry> Outcomes(int rightEvery)
    {
        var start = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        return [.. Enumerable.Range(0, 200).Select(i =>
        {
            var actual = i % 3;
            var predicted = i % 20 < rightEvery ? actual : (actual + 1) % 3;
            return new WindowEntry(start.AddMinutes(i).ToUnixTimeSeconds(), WindowCodec.EncodeOutcome((Signal)predicted, actual));
        })];
    }

    static double RealisedMacroF1(List<WindowEntry> outcomes)
    {
        var decoded = outcomes.Select(o => WindowCodec.DecodeOutcome(o.Value)).ToList();
        return Evaluation.Classification(decoded.Select(d => d.Actual).ToList(), decoded.Select(d => d.Predicted).ToList()).MacroF1;
    }

    static MonitoredModel Model(Dictionary<string, double> metrics) => new("m", 1, TrainedModels.Outcome.Manifest, metrics);

    static IEnumerable<DriftReading> Measure(MonitoredModel model, List<WindowEntry> outcomes) =>
        new ConceptDrift(Microsoft.Extensions.Options.Options.Create(Options)).Measure(model, outcomes);

    static DriftReading MacroF1Reading(MonitoredModel model, List<WindowEntry> outcomes) => Measure(model, outcomes).Single(r => r.Metric == "macro_f1");

    [Test]
    public void Live_skill_at_the_seeds_mean_is_not_drift_though_it_is_below_the_served_seeds_score()
    {
        var outcomes = Outcomes(rightEvery: 13);
        var live = RealisedMacroF1(outcomes);
        var model = Model(new() { ["macro_f1"] = live + 0.15, ["seed_macro_f1_mean"] = live + 0.05 });

        var reading = MacroF1Reading(model, outcomes);

        Assert.That(reading.Baseline, Is.EqualTo(live + 0.05).Within(1e-12), "the seeds' mean is the baseline");
        Assert.That(reading.Value, Is.EqualTo(live).Within(1e-12));
        Assert.That(reading.Badness, Is.LessThan(reading.WarnAt), "a 0.05 fall from the mean is inside the allowed 0.10");
        var againstServed = DriftReading.Performance(DriftType.Concept, "macro_f1", live, model.Metrics["macro_f1"], Options.PerformanceDrop, reading.Window);
        Assert.That(againstServed.Badness, Is.GreaterThanOrEqualTo(againstServed.WarnAt), "against the served seed's score it would have warned");
    }

    [Test]
    public void Live_skill_below_the_seeds_mean_by_the_allowed_drop_is_drift()
    {
        var outcomes = Outcomes(rightEvery: 13);
        var live = RealisedMacroF1(outcomes);
        var model = Model(new() { ["macro_f1"] = live + 0.30, ["seed_macro_f1_mean"] = live + 0.25 });

        var reading = MacroF1Reading(model, outcomes);

        Assert.That(reading.Baseline, Is.EqualTo(live + 0.25).Within(1e-12));
        Assert.That(reading.Badness, Is.GreaterThanOrEqualTo(reading.AlertAt), "a 0.25 fall from the mean passes the alert drop 0.20");
    }

    [Test]
    public void A_run_with_one_seed_is_measured_against_its_test_score()
    {
        var outcomes = Outcomes(rightEvery: 13);
        var live = RealisedMacroF1(outcomes);

        var reading = MacroF1Reading(Model(new() { ["macro_f1"] = live + 0.12 }), outcomes);

        Assert.That(reading.Baseline, Is.EqualTo(live + 0.12).Within(1e-12));
        Assert.That(reading.Badness, Is.GreaterThanOrEqualTo(reading.WarnAt));
    }

    [Test]
    public void Too_few_outcomes_give_no_reading()
    {
        var outcomes = Outcomes(rightEvery: 13).Take(Options.MinOutcomes - 1).ToList();
        Assert.That(Measure(Model(new() { ["macro_f1"] = 0.9 }), outcomes), Is.Empty);
    }
}
