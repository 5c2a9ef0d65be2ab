using System.Text.Json;
using MassTransit;
using NeuralTrade.Events.Contracts;

namespace NeuralTrade.Events.Workers.Ingest;

/// <summary>
/// Ingest's reading of a <c>market.candles</c> body. It shares the contract's exchange and message URN with
/// <see cref="MarketCandles"/>, but keeps every member as raw JSON so that one malformed candle (a string
/// price, a number too large) is rejected with its reason while the rest of the batch goes through.
/// </summary>
[Exchange(Exchanges.MarketCandles)]
[MessageUrn("neuraltrade:market.candles")]
public sealed record IncomingCandles
{
    // Nullable so that an absent member stays absent when MassTransit writes this message into a Fault<T>.
    public JsonElement? Candles { get; init; }
    public JsonElement? Source { get; init; }
    public JsonElement? EventId { get; init; }
    public JsonElement? CorrelationId { get; init; }

    public string? SourceName => Source is { ValueKind: JsonValueKind.String } source ? source.GetString() : null;

    public static Guid? AsGuid(JsonElement? element) =>
        element is { ValueKind: JsonValueKind.String } e && Guid.TryParse(e.GetString(), out var id) ? id : null;
}
