using MassTransit;
using NeuralTrade.Events.Contracts;
using NeuralTrade.Events.Messaging;
using NeuralTrade.Events.Tracking;

namespace NeuralTrade.Events.Workers.Training;

/// <summary>
/// What a job announces once it runs: training.started for each attempt, then training.completed or training.failed.
/// Event ids derive from the request (and the attempt, for training.started), so announcing again after a crash
/// publishes the same event rather than a new one.
/// </summary>
public class TrainingEvents(IBus bus)
{
    public virtual Task PublishStartedAsync(TrainingRequested request, int attempt, TrackedRun run, string modelName,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(run);
        return bus.Publish(new TrainingStarted
        {
            EventId = DeterministicGuid.Create($"{request.RequestId}|training.started|{attempt}"),
            CorrelationId = request.CorrelationId,
            RequestId = request.RequestId,
            RunId = run.RunId,
            ExperimentId = run.ExperimentId,
            ModelName = modelName,
        }, cancellationToken);
    }

    /// <summary>The training.completed of a finished run, to store with the job before it is published.</summary>
    public static TrainingCompleted Completed(TrainingRequested request, TrackedRun run, string modelName, ArtifactRef artifact,
        IReadOnlyDictionary<string, double> metrics, DatasetRange dataset, TimeSpan duration)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(run);
        return new TrainingCompleted
        {
            EventId = DeterministicGuid.Create($"{request.RequestId}|training.completed"),
            CorrelationId = request.CorrelationId,
            RequestId = request.RequestId,
            RunId = run.RunId,
            ModelName = modelName,
            Artifact = artifact,
            Metrics = metrics,
            Dataset = dataset,
            DurationSeconds = Math.Round(duration.TotalSeconds, 3),
            Tracking = new TrackingInfo(run.Store, run.MlflowError),
        };
    }

    /// <summary>One <see cref="Search.TrainingTrialRequested"/> per trial, with ids from the search and the trial: publishing again publishes the same messages.</summary>
    public virtual async Task PublishTrialsAsync(TrainingRequested request, IReadOnlyList<int> trials, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(trials);
        foreach (var trial in trials)
        {
            await bus.Publish(new Search.TrainingTrialRequested
            {
                EventId = DeterministicGuid.Create($"{request.RequestId}|training.trial|{trial}"),
                CorrelationId = request.CorrelationId,
                SearchId = request.RequestId,
                Trial = trial,
            }, cancellationToken);
        }
    }

    public Task PublishCompletedAsync(TrainingCompleted completed, CancellationToken cancellationToken) =>
        bus.Publish(completed, cancellationToken);

    public Task PublishFailedAsync(TrainingRequested request, string? runId, string error, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        return bus.Publish(new TrainingFailed
        {
            EventId = DeterministicGuid.Create($"{request.RequestId}|training.failed"),
            CorrelationId = request.CorrelationId,
            RequestId = request.RequestId,
            RunId = runId,
            Error = error,
        }, cancellationToken);
    }
}
