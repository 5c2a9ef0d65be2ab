using MassTransit;

namespace NeuralTrade.Events.Contracts;

/// <summary>A model version became the champion; every Inference instance swaps to it.</summary>
[Exchange(Exchanges.ModelDeployed)]
[MessageUrn("neuraltrade:model.deployed")]
public sealed record ModelDeployed : IntegrationEvent
{
    /// <summary>Name of the model.</summary>
    public required string ModelName { get; init; }
    /// <summary>Registry version now serving.</summary>
    public required int Version { get; init; }
    /// <summary>Run that produced the version.</summary>
    public required string RunId { get; init; }
    /// <summary>The artifact to load; Inference refuses it when the digest does not match.</summary>
    public required ArtifactRef Artifact { get; init; }
    /// <summary>The version's metrics.</summary>
    public required IReadOnlyDictionary<string, double> Metrics { get; init; }
    /// <summary>The version it replaces, if any.</summary>
    public int? PreviousVersion { get; init; }
    /// <summary>Why it is serving: <c>gate</c> (passed the champion gate), <c>promote</c> or <c>rollback</c> (an operator's command).</summary>
    public string? Reason { get; init; }
}

/// <summary>An operator's command: make a registered version the champion, without the gate.</summary>
[Exchange(Exchanges.ModelPromote)]
[MessageUrn("neuraltrade:model.promote")]
public sealed record PromoteModel : IntegrationEvent
{
    /// <summary>Name of the model.</summary>
    public required string ModelName { get; init; }
    /// <summary>Registry version to serve.</summary>
    public required int Version { get; init; }
    /// <summary>Why, for the audit trail.</summary>
    public string? Reason { get; init; }
}

/// <summary>An operator's command: serve the champion before the current one again.</summary>
[Exchange(Exchanges.ModelRollback)]
[MessageUrn("neuraltrade:model.rollback")]
public sealed record RollbackModel : IntegrationEvent
{
    /// <summary>Name of the model.</summary>
    public required string ModelName { get; init; }
    /// <summary>Why, for the audit trail.</summary>
    public string? Reason { get; init; }
}

/// <summary>A candidate did not pass the champion gate.</summary>
[Exchange(Exchanges.ModelRejected)]
[MessageUrn("neuraltrade:model.rejected")]
public sealed record ModelRejected : IntegrationEvent
{
    /// <summary>Name of the model.</summary>
    public required string ModelName { get; init; }
    /// <summary>Run of the rejected candidate.</summary>
    public required string RunId { get; init; }
    /// <summary>Why it was rejected.</summary>
    public required string Reason { get; init; }
    /// <summary>Candidate's metrics on the comparison window.</summary>
    public required IReadOnlyDictionary<string, double> CandidateMetrics { get; init; }
    /// <summary>Champion's metrics on the same window; empty when there is no champion.</summary>
    public required IReadOnlyDictionary<string, double> ChampionMetrics { get; init; }
}

/// <summary>Identifies the model that produced a result.</summary>
/// <param name="Name">Model name.</param>
/// <param name="Version">Registry version.</param>
public sealed record ModelRef(string Name, int Version);
