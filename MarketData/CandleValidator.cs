using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using NeuralTrade.Events.Contracts;

namespace NeuralTrade.Events.MarketData;

/// <summary>
/// The one set of candle rules, used by Ingest on what feeds publish and by Inference on the windows
/// callers send. Reading from raw JSON lets one bad field reject one candle, not the whole batch.
/// </summary>
public sealed partial class CandleValidator(CandleRules rules, TimeProvider time)
{
    public const int MaxExchangeLength = 32;
    public const int MaxSymbolLength = 41;

    [GeneratedRegex("^[a-z0-9][a-z0-9_.-]{0,31}$", RegexOptions.CultureInvariant)]
    private static partial Regex ExchangePattern();

    [GeneratedRegex("^[A-Z0-9][A-Z0-9._-]{0,19}(/[A-Z0-9][A-Z0-9._-]{0,19})?$", RegexOptions.CultureInvariant)]
    private static partial Regex SymbolPattern();

    [GeneratedRegex(@"(Z|z|[+-]\d{2}:\d{2})$", RegexOptions.CultureInvariant)]
    private static partial Regex ExplicitOffset();

    public CandleRules Rules => rules;

    /// <summary>Reads and checks the candle at <paramref name="index"/> of a received <c>candles</c> array.</summary>
    public CandleCheck Read(JsonElement element, int index)
    {
        var reasons = new List<RejectionReason>();
        if (element.ValueKind != JsonValueKind.Object)
        {
            reasons.Add(new(index, "not_an_object", null, $"A candle must be a JSON object, got {Describe(element.ValueKind)}."));
            return new CandleCheck(null, reasons);
        }

        // One pass over the members; names match case-insensitively, as the bus's deserializer does for typed messages.
        var slots = new FieldSlots();
        Span<JsonElement> fields = slots;
        Span<bool> present = stackalloc bool[FieldNames.Length];
        foreach (var property in element.EnumerateObject())
        {
            var slot = SlotOf(property.Name);
            if (slot >= 0 && !present[slot] && property.Value.ValueKind != JsonValueKind.Null)
            {
                fields[slot] = property.Value;
                present[slot] = true;
            }
        }

        var exchange = ReadString(fields, present, 0, index, reasons);
        var symbol = ReadString(fields, present, 1, index, reasons);
        var interval = ReadString(fields, present, 2, index, reasons);
        var openTime = ReadTimestamp(fields, present, 3, index, reasons);
        var open = ReadNumber(fields, present, 4, index, reasons);
        var high = ReadNumber(fields, present, 5, index, reasons);
        var low = ReadNumber(fields, present, 6, index, reasons);
        var close = ReadNumber(fields, present, 7, index, reasons);
        var volume = ReadNumber(fields, present, 8, index, reasons);

        if (reasons.Count > 0)
        {
            // Still report the rule violations of the fields that did parse, so one pass shows every problem.
            CheckFields(exchange, symbol, interval, openTime, open, high, low, close, volume, index, reasons);
            return new CandleCheck(null, reasons);
        }

        var candle = new Candle(exchange!, symbol!, interval!, openTime!.Value, open!.Value, high!.Value, low!.Value, close!.Value, volume!.Value);
        return Check(candle, index, reasons);
    }

    /// <summary>Checks a typed candle, e.g. one in a prediction request.</summary>
    public CandleCheck Validate(Candle candle, int index)
    {
        ArgumentNullException.ThrowIfNull(candle);
        return Check(candle, index, []);
    }

    /// <summary>Checks a series key alone (exchange, symbol, interval), as named in a training or prediction request.</summary>
    public IReadOnlyList<RejectionReason> ValidateSeries(string? exchange, string? symbol, string? interval)
    {
        var reasons = new List<RejectionReason>();
        CheckFields(exchange ?? "", symbol ?? "", interval ?? "", null, null, null, null, null, null, 0, reasons);
        return reasons;
    }

    CandleCheck Check(Candle c, int index, List<RejectionReason> reasons)
    {
        CheckFields(c.Exchange, c.Symbol, c.Interval, c.OpenTime, c.Open, c.High, c.Low, c.Close, c.Volume, index, reasons);
        return reasons.Count == 0 ? new CandleCheck(c with { OpenTime = c.OpenTime.ToUniversalTime() }, reasons) : new CandleCheck(null, reasons);
    }

    void CheckFields(string? exchange, string? symbol, string? interval, DateTimeOffset? openTime,
        decimal? open, decimal? high, decimal? low, decimal? close, decimal? volume, int index, List<RejectionReason> reasons)
    {
        if (exchange is not null && !ExchangePattern().IsMatch(exchange))
            reasons.Add(new(index, "invalid_format", "exchange",
                $"exchange '{Truncate(exchange)}' must be 1-{MaxExchangeLength} characters of a-z, 0-9, '_', '.', '-', starting with a letter or digit."));
        if (symbol is not null && !SymbolPattern().IsMatch(symbol))
            reasons.Add(new(index, "invalid_format", "symbol",
                $"symbol '{Truncate(symbol)}' must be BASE or BASE/QUOTE, each 1-20 characters of A-Z, 0-9, '.', '_', '-' (upper case)."));

        TimeSpan length = default;
        var knownInterval = interval is not null && Intervals.TryGetLength(interval, out length);
        if (interval is not null && !knownInterval)
            reasons.Add(new(index, "unknown_interval", "interval",
                $"interval '{Truncate(interval)}' is not one of {string.Join(", ", Intervals.Names)}."));

        if (openTime is { } t)
        {
            var now = time.GetUtcNow();
            if (knownInterval && !Intervals.IsAligned(t, length))
                reasons.Add(new(index, "misaligned", "openTime",
                    $"openTime {Format(t)} is not aligned to the {interval} interval (it must be a multiple of {length} since 1970-01-01T00:00:00Z)."));
            if (t > now + rules.ClockSkew)
                reasons.Add(new(index, "future", "openTime", $"openTime {Format(t)} is in the future (now is {Format(now)})."));
            else if (rules.RequireClosed && knownInterval && t + length > now + rules.ClockSkew)
                reasons.Add(new(index, "not_closed", "openTime",
                    $"the candle opened at {Format(t)} closes at {Format(t + length)}, after now ({Format(now)}); only closed candles are accepted."));
        }

        CheckPrice(open, "open", index, reasons);
        CheckPrice(high, "high", index, reasons);
        CheckPrice(low, "low", index, reasons);
        CheckPrice(close, "close", index, reasons);
        if (volume is { } v)
        {
            if (v < 0)
                reasons.Add(new(index, "negative", "volume", $"volume {v.ToString(CultureInfo.InvariantCulture)} must be zero or more."));
            else if (v > rules.MaxVolume)
                reasons.Add(new(index, "too_large", "volume", $"volume {v.ToString(CultureInfo.InvariantCulture)} exceeds the limit {rules.MaxVolume.ToString(CultureInfo.InvariantCulture)}."));
        }

        if (open is > 0 && high is > 0 && low is > 0 && close is > 0)
        {
            var (o, h, l, c) = (open.Value, high.Value, low.Value, close.Value);
            if (l > h)
                reasons.Add(new(index, "ohlc_inconsistent", "low", $"low {Num(l)} is above high {Num(h)}."));
            if (l > Math.Min(o, c))
                reasons.Add(new(index, "ohlc_inconsistent", "low", $"low {Num(l)} is above min(open, close) = {Num(Math.Min(o, c))}."));
            if (h < Math.Max(o, c))
                reasons.Add(new(index, "ohlc_inconsistent", "high", $"high {Num(h)} is below max(open, close) = {Num(Math.Max(o, c))}."));
        }
    }

    void CheckPrice(decimal? price, string field, int index, List<RejectionReason> reasons)
    {
        if (price is not { } p)
            return;
        if (p <= 0)
            reasons.Add(new(index, "non_positive", field, $"{field} {Num(p)} must be greater than zero."));
        else if (p > rules.MaxPrice)
            reasons.Add(new(index, "too_large", field, $"{field} {Num(p)} exceeds the limit {Num(rules.MaxPrice)}."));
    }

    [System.Runtime.CompilerServices.InlineArray(9)]
    struct FieldSlots
    {
        JsonElement _element;
    }

    static readonly string[] FieldNames = ["exchange", "symbol", "interval", "openTime", "open", "high", "low", "close", "volume"];

    static int SlotOf(string name)
    {
        for (var i = 0; i < FieldNames.Length; i++)
        {
            if (string.Equals(name, FieldNames[i], StringComparison.OrdinalIgnoreCase))
                return i;
        }

        return -1;
    }

    static bool TryGetField(ReadOnlySpan<JsonElement> fields, ReadOnlySpan<bool> present, int slot, int index,
        List<RejectionReason> reasons, out JsonElement value)
    {
        value = fields[slot];
        if (present[slot])
            return true;
        reasons.Add(new(index, "required", FieldNames[slot], $"{FieldNames[slot]} is required."));
        return false;
    }

    static string? ReadString(ReadOnlySpan<JsonElement> fields, ReadOnlySpan<bool> present, int slot, int index, List<RejectionReason> reasons)
    {
        if (!TryGetField(fields, present, slot, index, reasons, out var value))
            return null;
        var field = FieldNames[slot];
        if (value.ValueKind != JsonValueKind.String)
        {
            reasons.Add(new(index, "wrong_type", field, $"{field} must be a string, got {Describe(value.ValueKind)}."));
            return null;
        }

        var text = value.GetString()!;
        if (text.Length == 0)
        {
            reasons.Add(new(index, "required", field, $"{field} must not be empty."));
            return null;
        }

        return text;
    }

    static DateTimeOffset? ReadTimestamp(ReadOnlySpan<JsonElement> fields, ReadOnlySpan<bool> present, int slot, int index, List<RejectionReason> reasons)
    {
        if (!TryGetField(fields, present, slot, index, reasons, out var value))
            return null;
        var field = FieldNames[slot];
        if (value.ValueKind != JsonValueKind.String)
        {
            reasons.Add(new(index, "wrong_type", field, $"{field} must be an RFC 3339 timestamp string, got {Describe(value.ValueKind)}."));
            return null;
        }

        var text = value.GetString()!;
        if (!ExplicitOffset().IsMatch(text) || !value.TryGetDateTimeOffset(out var parsed))
        {
            reasons.Add(new(index, "invalid_format", field,
                $"{field} '{Truncate(text)}' is not an RFC 3339 timestamp with an explicit offset, e.g. 2024-01-15T10:30:00Z."));
            return null;
        }

        return parsed.ToUniversalTime();
    }

    static decimal? ReadNumber(ReadOnlySpan<JsonElement> fields, ReadOnlySpan<bool> present, int slot, int index, List<RejectionReason> reasons)
    {
        if (!TryGetField(fields, present, slot, index, reasons, out var value))
            return null;
        var field = FieldNames[slot];
        if (value.ValueKind != JsonValueKind.Number)
        {
            reasons.Add(new(index, "wrong_type", field, $"{field} must be a JSON number, got {Describe(value.ValueKind)}."));
            return null;
        }

        if (!value.TryGetDecimal(out var number))
        {
            reasons.Add(new(index, "not_finite", field, $"{field} {Truncate(value.GetRawText())} is not a finite number in range."));
            return null;
        }

        return number;
    }

    static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Array => "an array",
        JsonValueKind.Object => "an object",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => "nothing",
    };

    static string Truncate(string text) => text.Length <= 64 ? text : string.Concat(text.AsSpan(0, 61), "...");

    static string Num(decimal value) => value.ToString(CultureInfo.InvariantCulture);

    static string Format(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
