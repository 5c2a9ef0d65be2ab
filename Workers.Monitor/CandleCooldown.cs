namespace NeuralTrade.Events.Workers.Monitor;

/// <summary>
/// A cooldown counted in candles of one series. It has passed when the candle time since the last event, divided by
/// the series' <see cref="Interval"/> and rounded down, reaches <see cref="Candles"/>, and, when a <see cref="Floor"/>
/// is set, the candle time itself reaches it. Counting candle time rather than stored candles keeps the rule a pure
/// function of two open times (a redelivery or a second instance decides the same); a gap counts as its candles.
/// </summary>
public readonly record struct CandleCooldown(int Candles, TimeSpan Interval, TimeSpan? Floor = null)
{
    /// <summary>Whole intervals from <paramref name="from"/> to <paramref name="to"/>.</summary>
    public static long CandlesBetween(DateTimeOffset from, DateTimeOffset to, TimeSpan interval) =>
        interval > TimeSpan.Zero ? (to - from).Ticks / interval.Ticks : throw new ArgumentOutOfRangeException(nameof(interval), "an interval is positive");

    /// <summary>True when nothing has happened yet (<paramref name="last"/> null) or the cooldown since it is over at <paramref name="now"/>.</summary>
    public bool HasPassed(DateTimeOffset? last, DateTimeOffset now) =>
        last is not { } previous
        || (CandlesBetween(previous, now, Interval) >= Candles && (Floor is not { } floor || now - previous >= floor));
}
