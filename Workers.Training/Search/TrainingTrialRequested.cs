using MassTransit;
using NeuralTrade.Events.Contracts;

namespace NeuralTrade.Events.Workers.Training.Search;

/// <summary>
/// Internal to Training (not part of the public contract): one trial of a hyperparameter search to run. It names the
/// search and the trial's number only; the trial's recipe is planned again from the search's stored request, so a
/// forged or stale message cannot choose what is trained. Only the <c>training</c> user may publish or consume it.
/// </summary>
[Exchange(TrainingTrialRequested.ExchangeName)]
[MessageUrn("neuraltrade:training.trial")]
public sealed record TrainingTrialRequested : IntegrationEvent
{
    public const string ExchangeName = "training.trial";

    /// <summary>The search: the request id of the training.requested that carried it.</summary>
    public required Guid SearchId { get; init; }

    /// <summary>The trial's number in the search's plan, from 0.</summary>
    public required int Trial { get; init; }
}
