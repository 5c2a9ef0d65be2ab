namespace NeuralTrade.Events.Workers.Training;

/// <summary>
/// A training run that ended as failed: its run id, for training.failed, and why. A
/// <see cref="Modeling.TrainingRequestException"/> means the request cannot be served; anything else may pass on another attempt.
/// </summary>
public sealed record FailedRun(string? RunId, Exception Error);
