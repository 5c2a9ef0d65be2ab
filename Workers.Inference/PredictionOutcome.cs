using NeuralTrade.Events.Contracts;

namespace NeuralTrade.Events.Workers.Inference;

/// <summary>An answer: a prediction, or why there is none.</summary>
public sealed record PredictionOutcome(PredictionCompleted? Prediction, PredictionFailed? Failure);
