using System.Text.Json;
using NeuralTrade.Events.Contracts;

namespace NeuralTrade.Events.Client;

/// <summary>The <c>market.candles</c> body of a batch, checked against the contract's limits before it is published.</summary>
internal static class CandleBatches
{
    /// <summary>
    /// The body for <paramref name="candles"/>: a function of the batch id, the candles and the source only (the
    /// <c>occurredAt</c> is the close of the newest candle, not the clock), so a re-send with the same id is the same
    /// bytes and Ingest, which keys a message by its user, <c>message_id</c> and exact body, recognises it.
    /// </summary>
    public static byte[] Prepare(IReadOnlyList<Candle> candles, string? source, Guid batchId, NeuralTradeClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(candles);
        if (batchId == Guid.Empty)
            throw new ArgumentException("the batch id must not be the empty uuid.", nameof(batchId));
        if (candles.Count == 0 || candles.Count > options.MaxCandlesPerMessage)
            throw new CandleValidationException(
                $"a market.candles message carries 1 to {options.MaxCandlesPerMessage:N0} candles; got {candles.Count:N0}" +
                (candles.Count == 0 ? "." : $": split them into batches of at most {options.MaxCandlesPerMessage:N0}."), []);

        var reasons = new List<RejectionReason>();
        if (options.CandleChecks == CandleChecks.All)
        {
            for (var i = 0; i < candles.Count; i++)
                CandleRules.Check(candles[i], i, reasons);
        }
        else
        {
            // Even unchecked, a null cannot be written as a candle.
            for (var i = 0; i < candles.Count; i++)
            {
                if (candles[i] is null)
                    reasons.Add(new(i, "not_an_object", null, "A candle must be a JSON object, got null."));
            }
        }

        if (reasons.Count > 0)
        {
            var bad = reasons.Select(r => r.Index).Distinct().Count();
            var first = reasons[0];
            throw new CandleValidationException(
                $"{bad} of {candles.Count} candles break the contract, so none was published; the first: candle {first.Index} {first.Code}" +
                $"{(first.Field is null ? "" : " " + first.Field)}: {first.Message}", reasons);
        }

        var message = new MarketCandles
        {
            EventId = batchId, CorrelationId = batchId, OccurredAt = NewestClose(candles), Candles = candles, Source = source,
        };
        var body = JsonSerializer.SerializeToUtf8Bytes(message, ContractJson.Options);
        if (body.Length > options.MaxCandleBodyBytes)
            throw new CandleValidationException(
                $"the market.candles body of {candles.Count:N0} candles is {body.Length:N0} bytes, above the limit of {options.MaxCandleBodyBytes:N0} " +
                "bytes: send fewer candles per batch.", []);
        return body;
    }

    /// <summary>Checks the candles of a prediction request: count, rules (<see cref="NeuralTradeClientOptions.CandleChecks"/>), one series, ascending.</summary>
    public static void ValidateRequest(Series series, IReadOnlyList<Candle>? candles, NeuralTradeClientOptions options)
    {
        if (candles is null)
            return;
        if (candles.Count == 0 || candles.Count > options.MaxRequestCandles)
            throw new CandleValidationException($"a prediction request carries 1 to {options.MaxRequestCandles:N0} candles (or none: the stored window); " +
                $"got {candles.Count:N0}.", []);
        var reasons = new List<RejectionReason>();
        for (var i = 0; i < candles.Count; i++)
        {
            if (options.CandleChecks == CandleChecks.All)
                CandleRules.Check(candles[i], i, reasons);
            if (candles[i] is { } candle && Series.Of(candle) != series)
                reasons.Add(new(i, "invalid_request", null, $"candle {i} is of {Series.Of(candle)}, not of the series asked about, {series}."));
            else if (i > 0 && candles[i] is { } current && candles[i - 1] is { } previous && current.OpenTime <= previous.OpenTime)
                reasons.Add(new(i, "invalid_request", "openTime", $"candle {i} does not come after candle {i - 1}: the window must be ascending."));
        }

        if (reasons.Count > 0)
        {
            var first = reasons[0];
            throw new CandleValidationException($"{reasons.Select(r => r.Index).Distinct().Count()} of {candles.Count} candles cannot be sent; " +
                $"the first: candle {first.Index} {first.Code}{(first.Field is null ? "" : " " + first.Field)}: {first.Message}", reasons);
        }
    }

    /// <summary>The latest close time among the candles (the open time where the interval is unknown).</summary>
    static DateTimeOffset NewestClose(IReadOnlyList<Candle> candles)
    {
        var newest = DateTimeOffset.MinValue;
        foreach (var candle in candles)
        {
            var close = CandleRules.TryGetIntervalLength(candle.Interval, out var length) && candle.OpenTime <= DateTimeOffset.MaxValue - length
                ? candle.OpenTime + length
                : candle.OpenTime;
            if (close > newest)
                newest = close;
        }

        return newest.ToUniversalTime();
    }
}
