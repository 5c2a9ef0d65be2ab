namespace NeuralTrade.Events.Stores;

/// <summary>
/// What one append did: a status per candle, in the order given, and the openTime of the newest candle the series held
/// just before this append (null when it was empty, or when a receipt written before this was recorded is replayed).
/// Both are read in the same atomic step as the write, so the candles newer than <see cref="PreviousLastOpenTime"/>
/// are exactly those that extended the series, whatever other instances append at the same time.
/// </summary>
public sealed record AppendResult(IReadOnlyList<AppendStatus> Statuses, DateTimeOffset? PreviousLastOpenTime);
