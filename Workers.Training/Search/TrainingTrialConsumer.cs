using MassTransit;
using Microsoft.Extensions.Options;
using NeuralTrade.Events.Messaging;
using NeuralTrade.Events.Stores;

namespace NeuralTrade.Events.Workers.Training.Search;

/// <summary>
/// Takes a search's trials off the <c>training-trials</c> queue, as competing consumers across every Training process,
/// and makes each a durable job (<see cref="ITrainingJobStore"/>) that the first free training slot of any process
/// claims: the trial's lease, retry and takeover are a job's. The job id is the trial's, so a trial delivered twice is
/// enqueued once. A trial of a search that was never stored, or beyond its plan, is dead-lettered with the reason.
/// </summary>
public sealed partial class TrainingTrialConsumer(ISearchStore searches, ITrainingJobStore jobs, ILogger<TrainingTrialConsumer> logger)
    : IConsumer<TrainingTrialRequested>
{
    public const string QueueName = "training-trials";

    public async Task Consume(ConsumeContext<TrainingTrialRequested> context)
    {
        var message = context.Message;
        var json = await searches.GetStateAsync(message.SearchId, context.CancellationToken)
            ?? throw new InvalidMessageException($"search {message.SearchId} is unknown: its trials are fanned out only after it is stored");
        var state = SearchJson.Read<SearchState>(json);
        if (message.Trial < 0 || message.Trial >= state.Trials.Count)
            throw new InvalidMessageException($"search {message.SearchId} has {state.Trials.Count} trials; there is no trial {message.Trial}");

        var trial = new TrialJob(message.SearchId, message.Trial);
        if (await jobs.EnqueueAsync(trial.JobId, trial.ToJson(), context.CancellationToken))
            LogQueued(message.SearchId, message.Trial);
        else
            LogAlreadyKnown(message.SearchId, message.Trial);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Search {SearchId}: trial {Trial} queued")]
    partial void LogQueued(Guid searchId, int trial);

    [LoggerMessage(Level = LogLevel.Information, Message = "Search {SearchId}: trial {Trial} is already known; acknowledged without effect")]
    partial void LogAlreadyKnown(Guid searchId, int trial);
}

public sealed class TrainingTrialConsumerDefinition(IOptions<MessagingOptions> messaging)
    : QueueConsumerDefinition<TrainingTrialConsumer>(messaging.Value, TrainingTrialConsumer.QueueName, concurrentMessageLimit: 4);
