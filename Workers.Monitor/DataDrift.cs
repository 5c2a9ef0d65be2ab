using Microsoft.Extensions.Options;
using NeuralTrade.Events.Contracts;
using NeuralTrade.Events.Stores;

namespace NeuralTrade.Events.Workers.Monitor;

/// <summary>
/// Data drift: the features window against the champion's training baseline, per baseline feature. PSI over the
/// baseline's quantile bins (counted only while the same values' KS test is significant, unless
/// <see cref="MonitorOptions.PsiNeedsSignificance"/> is off) and the KS p-value (corrected for autocorrelation), each
/// against the feature's own thresholds.
/// </summary>
internal sealed class DataDrift(IOptions<MonitorOptions> options)
{
    MonitorOptions Settings => options.Value;

    /// <summary>The readings of <paramref name="rows"/> (the features window, oldest first); none while it is shorter than its minimum.</summary>
    public IEnumerable<DriftReading> Measure(MonitoredModel model, IReadOnlyList<WindowEntry> rows)
    {
        if (rows.Count < Settings.MinFeatureWindow)
            yield break;
        var spec = model.FeatureSpec;
        var window = WindowCodec.DecodeSpan(rows);
        var decoded = rows.Select(r => WindowCodec.DecodeFeatures(r.Value)).Where(r => r.Length == spec.Count).ToList();
        foreach (var baseline in model.Manifest.FeatureBaseline)
        {
            var column = IndexOf(spec.Names, baseline.Name);
            if (column < 0 || !model.FeatureSamples.TryGetValue(baseline.Name, out var sample))
                continue;
            var live = decoded.Select(r => (double)r[column]).Where(double.IsFinite).ToArray();
            if (live.Length < Settings.MinFeatureWindow)
                continue;
            var ksThresholds = Settings.KsPValueOf(baseline.Name);
            var ks = DriftStatistics.KolmogorovSmirnov(live, sample.Values, sample.Effective);
            var psi = DriftReading.Growing(DriftType.Data, "psi", baseline.Name, DriftStatistics.Psi(baseline.QuantileEdges, live, baseline.Sample),
                Settings.PsiOf(baseline.Name), window);
            yield return Settings.PsiNeedsSignificance ? psi.GatedBy(ks.PValue, ksThresholds.Warn) : psi;
            yield return DriftReading.PValue(DriftType.Data, "ks_pvalue", baseline.Name, ks.PValue, ksThresholds, window);
        }
    }

    static int IndexOf(IReadOnlyList<string> names, string name)
    {
        for (var i = 0; i < names.Count; i++)
        {
            if (names[i] == name)
                return i;
        }

        return -1;
    }
}
