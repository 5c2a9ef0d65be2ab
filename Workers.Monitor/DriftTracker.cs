using NeuralTrade.Events.Contracts;

namespace NeuralTrade.Events.Workers.Monitor;

/// <summary>
/// Hysteresis and cooldown for one (series, statistic). A level is entered when the statistic passes its threshold
/// and left only when it is back past <c>threshold × (1 − hysteresis)</c>, so noise around a threshold is one episode.
/// An episode is announced when it starts (warn: medium, alert: high); a later escalation to alert is announced at once,
/// anything else at most once per cooldown (counted in candles, <see cref="CandleCooldown"/>): an onset held back by the
/// cooldown is announced when the cooldown ends if the drift is still there. The end of an announced episode is noted
/// once (severity low, action <c>recovered</c>). Nothing here depends on the interval but the cooldown's candle count, so
/// a daily and a minute series with the same readings at the same candles decide the same.
/// </summary>
public static class DriftTracker
{
    public static DriftDecision Step(DriftState state, DriftReading reading, DateTimeOffset now, double hysteresis, CandleCooldown cooldown)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(reading);
        var level = NextLevel(state.Level, reading, 1 - hysteresis);
        var cooled = cooldown.HasPassed(state.LastEventAt, now);

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
