using System.Globalization;
using NeuralTrade.Events.Contracts;

namespace NeuralTrade.Events.MarketData;

public enum AppendStatus
{
    /// <summary>Stored now.</summary>
    Added,
    /// <summary>Already stored with the same values: nothing changed.</summary>
    Duplicate,
    /// <summary>A candle with the same openTime and other values is stored; it was kept.</summary>
    Conflict,
}

/// <summary>Candles per series, ordered by openTime. Appends are atomic per call and safe across instances.</summary>
public interface ICandleStore
{
    /// <summary>
    /// Stores the candles of one series (sorted by openTime) that are not stored yet and says, per candle,
    /// what happened. With a <paramref name="receipt"/>, a second call with the same receipt changes
    /// nothing and returns the first call's answer, so a redelivered message is reported as it was.
    /// </summary>
    Task<IReadOnlyList<AppendStatus>> AppendAsync(SeriesKey series, IReadOnlyList<Candle> candles, string? receipt,
        CancellationToken cancellationToken = default);

    Task<Candle?> GetAsync(SeriesKey series, DateTimeOffset openTime, CancellationToken cancellationToken = default);

    /// <summary>Candles with <paramref name="from"/> ≤ openTime ≤ <paramref name="to"/>, ascending.</summary>
    Task<IReadOnlyList<Candle>> GetRangeAsync(SeriesKey series, DateTimeOffset? from = null, DateTimeOffset? to = null,
        CancellationToken cancellationToken = default);

    /// <summary>The newest <paramref name="count"/> candles, ascending.</summary>
    Task<IReadOnlyList<Candle>> GetLatestAsync(SeriesKey series, int count, CancellationToken cancellationToken = default);

    Task<long> CountAsync(SeriesKey series, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<SeriesKey>> ListSeriesAsync(CancellationToken cancellationToken = default);
}

/// <summary>The stored form of a candle's values: exact decimals with trailing zeros removed, so 1.50 equals 1.5.</summary>
public static class CandleValues
{
    public static string Encode(Candle candle)
    {
        ArgumentNullException.ThrowIfNull(candle);
        return string.Join('|', N(candle.Open), N(candle.High), N(candle.Low), N(candle.Close), N(candle.Volume));
    }

    public static Candle Decode(SeriesKey series, long openTimeMs, string values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var p = values.Split('|');
        if (p.Length != 5)
            throw new FormatException($"Stored candle values '{values}' of {series} at {openTimeMs} are not o|h|l|c|v.");
        return new Candle(series.Exchange, series.Symbol, series.Interval, DateTimeOffset.FromUnixTimeMilliseconds(openTimeMs),
            D(p[0]), D(p[1]), D(p[2]), D(p[3]), D(p[4]));
    }

    public static long Key(DateTimeOffset openTime) => openTime.ToUnixTimeMilliseconds();

    // Dividing by 1.000…0 with the maximum scale drops trailing zeros without changing the value.
    static string N(decimal d) => (d / 1.000000000000000000000000000000000m).ToString(CultureInfo.InvariantCulture);

    static decimal D(string s) => decimal.Parse(s, NumberStyles.Float, CultureInfo.InvariantCulture);
}
