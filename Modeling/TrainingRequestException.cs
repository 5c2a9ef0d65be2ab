namespace NeuralTrade.Events.Modeling;

/// <summary>The request cannot be served as asked (too little data, bad hyperparameters): retrying will not help.</summary>
public sealed class TrainingRequestException(string message) : Exception(message);
