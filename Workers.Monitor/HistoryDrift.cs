using Microsoft.Extensions.Options;
using NeuralTrade.Events.Contracts;
using NeuralTrade.Events.Modeling;
using NeuralTrade.Events.Stores;

namespace NeuralTrade.Events.Workers.Monitor;

/// <summary>
/// Data drift without a champion: the features window (the newest <see cref="MonitorOptions.FeatureWindow"/> rows)
/// against the series' own history, the <see cref="MonitorOptions.ReferenceWindow"/> rows just before it, both kept in
/// the monitor store's features window. The same statistics and thresholds as against a champion (<see cref="DataDrift"/>):
/// PSI over the reference's decile bins, gated by the KS test unless <see cref="MonitorOptions.PsiNeedsSignificance"/> is
/// off, and the KS p-value with both sides' effective sizes. The reference slides with the window, so a lasting change
/// is announced as it arrives and recovers once the reference has absorbed it: this tells an operator of a regime
/// change; it is not a model's baseline. Work per check: one read of FeatureWindow + ReferenceWindow rows, and per
/// feature a sort and an autocorrelation of each side.
/// </summary>
internal sealed class HistoryDrift(IOptions<MonitorOptions> options)
{
    const int Bins = 10;

    MonitorOptions Settings => options.Value;

    /// <summary>Rows the check reads: the window and its reference.</summary>
    public int Rows => Settings.FeatureWindow + Settings.ReferenceWindow;

    /// <summary>
    /// The readings of <paramref name="rows"/> (oldest first, at most <see cref="Rows"/>) and the reference window they
    /// were compared with; none until both the window and its reference are full.
    /// </summary>
    public (IReadOnlyList<DriftReading> Readings, TimeWindow? Reference) Measure(FeatureSpec spec, IReadOnlyList<WindowEntry> rows)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(rows);
        if (rows.Count < Rows)
            return ([], null);
        var reference = rows.Skip(rows.Count - Rows).Take(Settings.ReferenceWindow).ToList();
        var live = rows.Skip(rows.Count - Settings.FeatureWindow).ToList();
        var referenceWindow = WindowCodec.DecodeSpan(reference);
        var window = WindowCodec.DecodeSpan(live);
        var referenceRows = Decode(reference, spec);
        var liveRows = Decode(live, spec);
        var readings = new List<DriftReading>(2 * spec.Count);
        for (var column = 0; column < spec.Count; column++)
        {
            var name = spec.Names[column];
            var before = Column(referenceRows, column);
            var now = Column(liveRows, column);
            if (before.Length < Settings.MinFeatureWindow || now.Length < Settings.MinFeatureWindow)
                continue;
            var sample = before.Select(v => (float)v).ToArray();
            var edges = ModelArtifact.Quantiles(sample, Bins);
            if (!(edges[0] < edges[^1]))
                continue; // a constant reference has no bins to compare with
            var ksThresholds = Settings.KsPValueOf(name);
            var ks = DriftStatistics.KolmogorovSmirnov(now, before);
            var psi = DriftReading.Growing(DriftType.Data, "psi", name, DriftStatistics.Psi(edges, now, sample), Settings.PsiOf(name), window);
            readings.Add(Settings.PsiNeedsSignificance ? psi.GatedBy(ks.PValue, ksThresholds.Warn) : psi);
            readings.Add(DriftReading.PValue(DriftType.Data, "ks_pvalue", name, ks.PValue, ksThresholds, window));
        }

        return (readings, referenceWindow);
    }

    static List<float[]> Decode(IEnumerable<WindowEntry> rows, FeatureSpec spec) =>
        rows.Select(r => WindowCodec.DecodeFeatures(r.Value)).Where(r => r.Length == spec.Count).ToList();

    static double[] Column(List<float[]> rows, int column) => rows.Select(r => (double)r[column]).Where(double.IsFinite).ToArray();
}
