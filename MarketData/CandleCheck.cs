using NeuralTrade.Events.Contracts;

namespace NeuralTrade.Events.MarketData;

/// <summary>The outcome of reading one candle: the candle when it is valid, else every reason it is not.</summary>
public readonly record struct CandleCheck(Candle? Candle, IReadOnlyList<RejectionReason> Reasons)
{
    public bool IsValid => Candle is not null;
}
