using Microsoft.Extensions.Options;
using NeuralTrade.Events.Contracts;
using NeuralTrade.Events.Modeling;
using NeuralTrade.Events.Stores;

namespace NeuralTrade.Events.Workers.Monitor;

/// <summary>
/// Concept drift: the realised macro-F1 and accuracy of the labelled predictions (the outcomes window) against the
/// champion's test figures, each allowed to fall by <see cref="MonitorOptions.PerformanceDrop"/>. The macro-F1 expected
/// is the mean over the seeds its run trained (<c>seed_macro_f1_mean</c>), not the served seed's own score: a promoted
/// model's score is its luckiest draw, and measuring live skill against it would report drift that is only regression
/// to the mean. Runs with one seed fall back to their test macro-F1.
/// </summary>
internal sealed class ConceptDrift(IOptions<MonitorOptions> options)
{
    MonitorOptions Settings => options.Value;

    /// <summary>The readings of <paramref name="outcomes"/> (oldest first); none while the window holds fewer than its minimum.</summary>
    public IEnumerable<DriftReading> Measure(MonitoredModel model, IReadOnlyList<WindowEntry> outcomes)
    {
        if (outcomes.Count < Settings.MinOutcomes)
            yield break;
        var window = WindowCodec.DecodeSpan(outcomes);
        var decoded = outcomes.Select(o => WindowCodec.DecodeOutcome(o.Value)).ToList();
        var predicted = decoded.Select(o => o.Predicted).ToList();
        var actual = decoded.Select(o => o.Actual).ToList();
        var (accuracy, macroF1) = Evaluation.Classification(actual, predicted);
        if (model.Metrics.TryGetValue("seed_macro_f1_mean", out var testF1) || model.Metrics.TryGetValue("macro_f1", out testF1))
            yield return DriftReading.Performance(DriftType.Concept, "macro_f1", macroF1, testF1, Settings.PerformanceDrop, window);
        if (model.Metrics.TryGetValue("accuracy", out var testAccuracy))
            yield return DriftReading.Performance(DriftType.Concept, "accuracy", accuracy, testAccuracy, Settings.PerformanceDrop, window);
    }
}
