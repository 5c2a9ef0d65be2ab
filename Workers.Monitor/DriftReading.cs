using NeuralTrade.Events.Contracts;

namespace NeuralTrade.Events.Workers.Monitor;

/// <summary>
/// One statistic measured now. <see cref="Badness"/> puts every statistic on one scale where larger is worse:
/// PSI as is, a p-value as −log₁₀ p, a performance figure as its drop below the model's test figure.
/// </summary>
public sealed record DriftReading(DriftType Type, string Metric, string? Feature, double Value, double Baseline,
    double Badness, double WarnAt, double AlertAt, double WarnThreshold, double AlertThreshold, TimeWindow Window)
{
    /// <summary>Identifies the (metric, feature) within a series and model: the unit of hysteresis and cooldown.</summary>
    public string Key => Feature is null ? $"{Type.ToString().ToLowerInvariant()}:{Metric}" : $"{Type.ToString().ToLowerInvariant()}:{Metric}:{Feature}";

    /// <summary>A statistic that grows with drift (PSI); its baseline is 0.</summary>
    public static DriftReading Growing(DriftType type, string metric, string? feature, double value, Thresholds t, TimeWindow window) =>
        new(type, metric, feature, value, 0, value, t.Warn, t.Alert, t.Warn, t.Alert, window);

    /// <summary>A p-value (small under drift); its baseline is 1.</summary>
    public static DriftReading PValue(DriftType type, string metric, string? feature, double p, Thresholds t, TimeWindow window) =>
        new(type, metric, feature, p, 1, Surprise(p), Surprise(t.Warn), Surprise(t.Alert), t.Warn, t.Alert, window);

    /// <summary>A performance figure that should stay near <paramref name="baseline"/>; the thresholds are allowed drops.</summary>
    public static DriftReading Performance(DriftType type, string metric, double value, double baseline, Thresholds drop, TimeWindow window) =>
        new(type, metric, null, value, baseline, baseline - value, drop.Warn, drop.Alert, baseline - drop.Warn, baseline - drop.Alert, window);

    /// <summary>
    /// Requires significance: the reading's level counts only while a test's p-value is below <paramref name="warn"/>
    /// (entering) or within the hysteresis band of it (staying). Used for PSI, whose noise on autocorrelated features
    /// crosses its thresholds on stationary data.
    /// </summary>
    public DriftReading GatedBy(double pValue, double warn) => this with { Gate = Surprise(pValue), GateAt = Surprise(warn) };

    /// <summary>−log₁₀ of the gating p-value, or null when the reading needs no significance.</summary>
    public double? Gate { get; init; }

    /// <summary>−log₁₀ of the p-value the gate needs.</summary>
    public double? GateAt { get; init; }

    static double Surprise(double p) => -Math.Log10(Math.Max(p, 1e-300));

    /// <summary>0 no drift, 1 past the warning level, 2 past the alert level (no hysteresis).</summary>
    public int RawLevel => Badness >= AlertAt ? 2 : Badness >= WarnAt ? 1 : 0;
}
