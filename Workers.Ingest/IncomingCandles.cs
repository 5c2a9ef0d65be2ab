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
    public JsonElement Candles { get; init; }
    public JsonElement Source { get; init; }
    public JsonElement EventId { get; init; }
    public JsonElement CorrelationId { get; init; }

    public string? SourceName => Source.ValueKind == JsonValueKind.String ? Source.GetString() : null;

    public static Guid? AsGuid(JsonElement element) =>
        element.ValueKind == JsonValueKind.String && Guid.TryParse(element.GetString(), out var id) ? id : null;
}
