namespace NeuralTrade.Events.Modeling;

/// <summary>One labelled window: features of candles [End − window + 1, End], label from candles after End.</summary>
public readonly record struct Sample(int End, int Label, double ForwardReturn, double NextReturn);
