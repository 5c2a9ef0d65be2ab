using Microsoft.Extensions.Options;
using NeuralTrade.Events.Contracts;
using NeuralTrade.Events.Modeling;
using NeuralTrade.Events.Stores;

namespace NeuralTrade.Events.Workers.Monitor;

/// <summary>
/// Prediction drift: the streamed predictions window against the champion's validation split. The PSI of the signal
/// mix (counted only while a chi-square test of the mix is significant, unless
/// <see cref="MonitorOptions.PsiNeedsSignificance"/> is off), and, when the baseline holds a confidence sample, the
/// confidence's PSI (gated by its KS test likewise) and KS p-value.
/// </summary>
internal sealed class PredictionDrift(IOptions<MonitorOptions> options)
{
    MonitorOptions Settings => options.Value;

    /// <summary>The readings of <paramref name="predictions"/> (oldest first); none while the window is shorter than its minimum.</summary>
    public IEnumerable<DriftReading> Measure(MonitoredModel model, IReadOnlyList<WindowEntry> predictions)
    {
        if (predictions.Count < Settings.MinPredictionWindow)
            yield break;
        var baseline = model.Manifest.PredictionBaseline;
        if (baseline.ClassShares.Length != SignalClasses.Count)
            yield break;
        var window = WindowCodec.DecodeSpan(predictions);
        var decoded = predictions.Select(p => WindowCodec.DecodePrediction(p.Value)).ToList();
        var shares = new double[SignalClasses.Count];
        foreach (var p in decoded)
            shares[(int)p.Signal] += 1.0 / decoded.Count;
        var signalPsi = DriftReading.Growing(DriftType.Prediction, "signal_psi", null, DriftStatistics.PsiOfShares(baseline.ClassShares, shares),
            Settings.PredictionPsi, window);
        yield return Settings.PsiNeedsSignificance
            ? signalPsi.GatedBy(DriftStatistics.ChiSquarePValue(decoded.Select(p => (int)p.Signal).ToList(), baseline.ClassShares),
                Settings.PredictionKsPValue.Warn)
            : signalPsi;
        if (baseline.ConfidenceSample.Length < 2)
            yield break;
        var confidence = decoded.Select(p => p.Confidence).ToArray();
        var ks = DriftStatistics.KolmogorovSmirnov(confidence, model.ConfidenceSample.Values, model.ConfidenceSample.Effective);
        var psi = DriftReading.Growing(DriftType.Prediction, "confidence_psi", null,
            DriftStatistics.Psi(baseline.ConfidenceQuantiles, confidence, baseline.ConfidenceSample), Settings.PredictionPsi, window);
        yield return Settings.PsiNeedsSignificance ? psi.GatedBy(ks.PValue, Settings.PredictionKsPValue.Warn) : psi;
        yield return DriftReading.PValue(DriftType.Prediction, "confidence_ks_pvalue", null, ks.PValue, Settings.PredictionKsPValue, window);
    }
}
