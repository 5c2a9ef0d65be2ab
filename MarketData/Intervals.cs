using System.Collections.Frozen;

namespace NeuralTrade.Events.MarketData;

/// <summary>The candle intervals the fleet accepts, and their lengths.</summary>
public static class Intervals
{
    static readonly FrozenDictionary<string, TimeSpan> Known = new Dictionary<string, TimeSpan>
    {
        ["1m"] = TimeSpan.FromMinutes(1),
        ["3m"] = TimeSpan.FromMinutes(3),
        ["5m"] = TimeSpan.FromMinutes(5),
        ["15m"] = TimeSpan.FromMinutes(15),
        ["30m"] = TimeSpan.FromMinutes(30),
        ["1h"] = TimeSpan.FromHours(1),
        ["2h"] = TimeSpan.FromHours(2),
        ["4h"] = TimeSpan.FromHours(4),
        ["6h"] = TimeSpan.FromHours(6),
        ["12h"] = TimeSpan.FromHours(12),
        ["1d"] = TimeSpan.FromDays(1),
    }.ToFrozenDictionary(StringComparer.Ordinal);

    public static IEnumerable<string> Names => Known.Keys.OrderBy(k => Known[k]);

    public static bool TryGetLength(string? interval, out TimeSpan length)
    {
        length = default;
        return interval is not null && Known.TryGetValue(interval, out length);
    }

    public static TimeSpan LengthOf(string interval) =>
        TryGetLength(interval, out var length) ? length : throw new ArgumentException($"Unknown interval '{interval}'.", nameof(interval));

    /// <summary>True when <paramref name="openTime"/> starts a candle of <paramref name="length"/> counted from the Unix epoch.</summary>
    public static bool IsAligned(DateTimeOffset openTime, TimeSpan length) =>
        (openTime.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) % length.Ticks == 0;
}
