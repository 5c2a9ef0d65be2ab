using NeuralTrade.Events.Contracts;

namespace NeuralTrade.Events.MarketData;

/// <summary>One data row of a candle CSV: the candle, or why the row could not be read.</summary>
public readonly record struct CsvCandleRow(long Line, Candle? Candle, string? Error);
