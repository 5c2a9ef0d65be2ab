namespace NeuralTrade.Events.Stores;

/// <summary>A job as stored: the request (contract JSON), its state, the result once known, the latest progress.</summary>
public sealed record TrainingJob(Guid RequestId, string RequestJson, string Status, int Attempts, string? Owner, string? ResultJson,
    string? ProgressJson, string? Error)
{
    /// <summary>The tracking run of the latest attempt, recorded when it opened: the run a takeover ends as KILLED.</summary>
    public string? RunId { get; init; }
}
