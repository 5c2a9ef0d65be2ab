using System.Collections.Frozen;
using System.Globalization;
using System.Text.RegularExpressions;
using NeuralTrade.Events.Contracts;

namespace NeuralTrade.Events.Client;

/// <summary>
/// The contract's candle rules that do not depend on a clock or a store (docs/contract.md, "Publishing candles"), with
/// Ingest's reason codes, so a feed hears of a malformed candle before it leaves the process.
/// </summary>
internal static partial class CandleRules
{
    public const decimal MaxPrice = 1_000_000_000_000m;
    public const decimal MaxVolume = 1_000_000_000_000_000_000m;

    static readonly FrozenDictionary<string, TimeSpan> IntervalLengths = new Dictionary<string, TimeSpan>
    {
        ["1m"] = TimeSpan.FromMinutes(1), ["3m"] = TimeSpan.FromMinutes(3), ["5m"] = TimeSpan.FromMinutes(5),
        ["15m"] = TimeSpan.FromMinutes(15), ["30m"] = TimeSpan.FromMinutes(30), ["1h"] = TimeSpan.FromHours(1),
        ["2h"] = TimeSpan.FromHours(2), ["4h"] = TimeSpan.FromHours(4), ["6h"] = TimeSpan.FromHours(6),
        ["12h"] = TimeSpan.FromHours(12), ["1d"] = TimeSpan.FromDays(1),
    }.ToFrozenDictionary(StringComparer.Ordinal);

    /// <summary>The intervals, shortest first.</summary>
    public static IReadOnlyList<string> Intervals { get; } = ["1m", "3m", "5m", "15m", "30m", "1h", "2h", "4h", "6h", "12h", "1d"];

    [GeneratedRegex("^[a-z0-9][a-z0-9_.-]{0,31}$", RegexOptions.CultureInvariant)]
    private static partial Regex ExchangePattern();

    [GeneratedRegex("^[A-Z0-9][A-Z0-9._-]{0,19}(/[A-Z0-9][A-Z0-9._-]{0,19})?$", RegexOptions.CultureInvariant)]
    private static partial Regex SymbolPattern();

    public static bool TryGetIntervalLength(string? interval, out TimeSpan length)
    {
        length = default;
        return interval is not null && IntervalLengths.TryGetValue(interval, out length);
    }

    /// <summary>Every rule <paramref name="candle"/> breaks, as Ingest would name it at <paramref name="index"/>.</summary>
    public static void Check(Candle? candle, int index, List<RejectionReason> reasons)
    {
        if (candle is null)
        {
            reasons.Add(new(index, "not_an_object", null, "A candle must be a JSON object, got null."));
            return;
        }

        var exchange = Required(candle.Exchange, "exchange", index, reasons);
        var symbol = Required(candle.Symbol, "symbol", index, reasons);
        var interval = Required(candle.Interval, "interval", index, reasons);
        if (exchange is not null && !ExchangePattern().IsMatch(exchange))
            reasons.Add(new(index, "invalid_format", "exchange",
                $"exchange '{Truncate(exchange)}' must be 1-32 characters of a-z, 0-9, '_', '.', '-', starting with a letter or digit."));
        if (symbol is not null && !SymbolPattern().IsMatch(symbol))
            reasons.Add(new(index, "invalid_format", "symbol",
                $"symbol '{Truncate(symbol)}' must be BASE or BASE/QUOTE, each 1-20 characters of A-Z, 0-9, '.', '_', '-' (upper case)."));

        TimeSpan length = default;
        var knownInterval = interval is not null && TryGetIntervalLength(interval, out length);
        if (interval is not null && !knownInterval)
            reasons.Add(new(index, "unknown_interval", "interval", $"interval '{Truncate(interval)}' is not one of {string.Join(", ", Intervals)}."));
        if (candle.OpenTime == default)
            reasons.Add(new(index, "required", "openTime", "openTime is required."));
        else if (knownInterval && (candle.OpenTime.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) % length.Ticks != 0)
            reasons.Add(new(index, "misaligned", "openTime",
                $"openTime {Format(candle.OpenTime)} is not aligned to the {interval} interval (it must be a multiple of {length} since 1970-01-01T00:00:00Z)."));

        Price(candle.Open, "open", index, reasons);
        Price(candle.High, "high", index, reasons);
        Price(candle.Low, "low", index, reasons);
        Price(candle.Close, "close", index, reasons);
        if (candle.Volume < 0)
            reasons.Add(new(index, "negative", "volume", $"volume {Num(candle.Volume)} must be zero or more."));
        else if (candle.Volume > MaxVolume)
            reasons.Add(new(index, "too_large", "volume", $"volume {Num(candle.Volume)} exceeds the limit {Num(MaxVolume)}."));

        if (candle is { Open: > 0, High: > 0, Low: > 0, Close: > 0 })
        {
            var (o, h, l, c) = (candle.Open, candle.High, candle.Low, candle.Close);
            if (l > h)
                reasons.Add(new(index, "ohlc_inconsistent", "low", $"low {Num(l)} is above high {Num(h)}."));
            if (l > Math.Min(o, c))
                reasons.Add(new(index, "ohlc_inconsistent", "low", $"low {Num(l)} is above min(open, close) = {Num(Math.Min(o, c))}."));
            if (h < Math.Max(o, c))
                reasons.Add(new(index, "ohlc_inconsistent", "high", $"high {Num(h)} is below max(open, close) = {Num(Math.Max(o, c))}."));
        }
    }

    /// <summary>
    /// What is wrong with a series' parts; with <paramref name="allowOpen"/> a null part is "any" (a filter), else it
    /// is missing. Empty when all is well.
    /// </summary>
    public static List<string> SeriesProblems(string? exchange, string? symbol, string? interval, bool allowOpen)
    {
        var problems = new List<string>();
        if (exchange is null ? !allowOpen : !ExchangePattern().IsMatch(exchange))
            problems.Add($"exchange '{Truncate(exchange ?? "")}' must be 1-32 characters of a-z, 0-9, '_', '.', '-'");
        if (symbol is null ? !allowOpen : !SymbolPattern().IsMatch(symbol))
            problems.Add($"symbol '{Truncate(symbol ?? "")}' must be BASE or BASE/QUOTE, each 1-20 characters of A-Z, 0-9, '.', '_', '-'");
        if (interval is null ? !allowOpen : !IntervalLengths.ContainsKey(interval))
            problems.Add($"interval '{Truncate(interval ?? "")}' is not one of {string.Join(", ", Intervals)}");
        return problems;
    }

    static string? Required(string? value, string field, int index, List<RejectionReason> reasons)
    {
        if (!string.IsNullOrEmpty(value))
            return value;
        reasons.Add(new(index, "required", field, value is null ? $"{field} is required." : $"{field} must not be empty."));
        return null;
    }

    static void Price(decimal price, string field, int index, List<RejectionReason> reasons)
    {
        if (price <= 0)
            reasons.Add(new(index, "non_positive", field, $"{field} {Num(price)} must be greater than zero."));
        else if (price > MaxPrice)
            reasons.Add(new(index, "too_large", field, $"{field} {Num(price)} exceeds the limit {Num(MaxPrice)}."));
    }

    static string Truncate(string text) => text.Length <= 64 ? text : string.Concat(text.AsSpan(0, 61), "...");

    static string Num(decimal value) => value.ToString(CultureInfo.InvariantCulture);

    static string Format(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
