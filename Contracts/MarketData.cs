using System.Text.Json;
using MassTransit;

namespace NeuralTrade.Events.Contracts;

/// <summary>One closed OHLCV candle of a series (exchange, symbol, interval).</summary>
/// <param name="Exchange">Venue, lower case, e.g. <c>binance</c>.</param>
/// <param name="Symbol">Instrument, upper case, e.g. <c>BTC/USDT</c>.</param>
/// <param name="Interval">Candle length: 1m, 3m, 5m, 15m, 30m, 1h, 2h, 4h, 6h, 12h, 1d.</param>
/// <param name="OpenTime">Start of the candle, UTC, aligned to the interval.</param>
/// <param name="Open">First traded price.</param>
/// <param name="High">Highest traded price.</param>
/// <param name="Low">Lowest traded price.</param>
/// <param name="Close">Last traded price.</param>
/// <param name="Volume">Traded base volume.</param>
public sealed record Candle(
    string Exchange,
    string Symbol,
    string Interval,
    DateTimeOffset OpenTime,
    decimal Open,
    decimal High,
    decimal Low,
    decimal Close,
    decimal Volume);

/// <summary>A batch of 1 to 10,000 closed candles from a feed, any mix of series.</summary>
[Exchange(Exchanges.MarketCandles)]
[MessageUrn("neuraltrade:market.candles")]
public sealed record MarketCandles : IntegrationEvent
{
    /// <summary>The candles.</summary>
    public required IReadOnlyList<Candle> Candles { get; init; }

    /// <summary>Free-form name of the feed, for audit.</summary>
    public string? Source { get; init; }
}

/// <summary>Candles newly stored for one series, in openTime order. Duplicates are never re-announced.</summary>
[Exchange(Exchanges.DataIngested)]
[MessageUrn("neuraltrade:data.ingested")]
public sealed record DataIngested : IntegrationEvent
{
    /// <summary>Venue of the series.</summary>
    public required string Exchange { get; init; }
    /// <summary>Instrument of the series.</summary>
    public required string Symbol { get; init; }
    /// <summary>Interval of the series.</summary>
    public required string Interval { get; init; }
    /// <summary>The accepted new candles, ascending by openTime.</summary>
    public required IReadOnlyList<Candle> Candles { get; init; }
    /// <summary>openTime of the first candle in <see cref="Candles"/>.</summary>
    public required DateTimeOffset FirstOpenTime { get; init; }
    /// <summary>openTime of the last candle in <see cref="Candles"/>.</summary>
    public required DateTimeOffset LastOpenTime { get; init; }
    /// <summary>
    /// Holes these candles leave where they extend the series (a step longer than one interval from the newest candle
    /// stored before them, or between two of them), ascending; at most the first <see cref="MaxGaps"/>. Absent when
    /// there is none. Late candles that land before the newest stored one fill holes and are not compared.
    /// </summary>
    public IReadOnlyList<CandleGap>? Gaps { get; init; }

    /// <summary>The most <see cref="Gaps"/> one message lists.</summary>
    public const int MaxGaps = 100;
}

/// <summary>Candles missing from a series between two stored candles.</summary>
/// <param name="After">openTime of the last candle before the hole.</param>
/// <param name="Before">openTime of the first candle after it.</param>
/// <param name="Missing">How many candles are missing: (before − after) / interval − 1, at least 1.</param>
public sealed record CandleGap(DateTimeOffset After, DateTimeOffset Before, long Missing);

/// <summary>Candles Ingest refused, exactly as received, with one reason per problem.</summary>
[Exchange(Exchanges.DataRejected)]
[MessageUrn("neuraltrade:data.rejected")]
public sealed record DataRejected : IntegrationEvent
{
    /// <summary>Every problem found; several may name the same candle.</summary>
    public required IReadOnlyList<RejectionReason> Reasons { get; init; }
    /// <summary>The rejected candles as received, in the order of their first reason.</summary>
    public required IReadOnlyList<JsonElement> Candles { get; init; }
    /// <summary>The feed's source name from the <c>market.candles</c> message, if any.</summary>
    public string? Source { get; init; }
}

/// <summary>Why a candle was refused.</summary>
/// <param name="Index">Position of the candle in the received <c>candles</c> array.</param>
/// <param name="Code">Machine-readable code, e.g. <c>required</c>, <c>non_positive</c>, <c>conflict</c>.</param>
/// <param name="Field">The field at fault, or null when the candle as a whole is.</param>
/// <param name="Message">What is wrong and why, for people.</param>
public sealed record RejectionReason(int Index, string Code, string? Field, string Message);
