namespace NeuralTrade.Events.Stores;

/// <summary>One entry of a rolling window: a time (Unix seconds, the candle's open time) and an encoded value.</summary>
public readonly record struct WindowEntry(long Time, byte[] Value);
