using System.Globalization;
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

/// <summary>Where one statistic stands: its level, the highest level announced in the current episode, and when the last event went out.</summary>
public sealed record DriftState(int Level, int Announced, DateTimeOffset? LastEventAt)
{
    public static readonly DriftState None = new(0, 0, null);

    public string Serialize() =>
        string.Create(CultureInfo.InvariantCulture, $"{Level}|{Announced}|{LastEventAt?.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture) ?? ""}");

    public static DriftState Parse(string? text)
    {
        if (string.IsNullOrEmpty(text))
            return None;
        var parts = text.Split('|');
        return new DriftState(int.Parse(parts[0], CultureInfo.InvariantCulture), int.Parse(parts[1], CultureInfo.InvariantCulture),
            parts[2].Length == 0 ? null : DateTimeOffset.FromUnixTimeSeconds(long.Parse(parts[2], CultureInfo.InvariantCulture)));
    }
}

/// <summary>What one step decided.</summary>
/// <param name="State">The state to store.</param>
/// <param name="Publish">The event severity to publish, or null for none.</param>
/// <param name="Recovered">The event announces a return below the thresholds.</param>
public readonly record struct DriftDecision(DriftState State, DriftSeverity? Publish, bool Recovered);

/// <summary>
/// Hysteresis and cooldown for one (series, statistic). A level is entered when the statistic passes its threshold
/// and left only when it is back past <c>threshold × (1 − hysteresis)</c>, so noise around a threshold is one episode.
/// An episode is announced when it starts (warn: medium, alert: high); a later escalation to alert is announced at once,
/// anything else at most once per cooldown: an onset held back by the cooldown is announced when the cooldown ends if
/// the drift is still there. The end of an announced episode is noted once (severity low, action <c>recovered</c>).
/// </summary>
public static class DriftTracker
{
    public static DriftDecision Step(DriftState state, DriftReading reading, DateTimeOffset now, double hysteresis, TimeSpan cooldown)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(reading);
        var level = NextLevel(state.Level, reading, 1 - hysteresis);
        var cooled = state.LastEventAt is not { } last || now - last >= cooldown;

        if (level == 0)
        {
            return state.Announced > 0
                ? new DriftDecision(new DriftState(0, 0, now), DriftSeverity.Low, Recovered: true)
                : new DriftDecision(state with { Level = 0 }, null, false);
        }

        if (level > state.Announced && (cooled || (state.Announced == 1 && level == 2)))
            return new DriftDecision(new DriftState(level, level, now), level == 2 ? DriftSeverity.High : DriftSeverity.Medium, false);

        return new DriftDecision(state with { Level = level }, null, false);
    }

    static int NextLevel(int current, DriftReading r, double keep)
    {
        var raw = r.RawLevel;
        if (r is { Gate: { } gate, GateAt: { } gateAt })
        {
            if (gate < gateAt * keep)
                return 0; // not significant: whatever the effect size, this is noise
            if (gate < gateAt)
                raw = Math.Min(raw, current); // significant only within the band: may stay, may not rise
        }

        if (raw >= current)
            return raw;
        // Falling: stay until the statistic is clearly back, not merely a hair under the threshold.
        if (current == 2 && r.Badness >= r.AlertAt * keep)
            return 2;
        return r.Badness >= r.WarnAt * keep ? 1 : 0;
    }
}
