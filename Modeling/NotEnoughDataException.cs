namespace NeuralTrade.Events.Modeling;

public sealed class NotEnoughDataException(string message) : Exception(message);
