namespace NeuralTrade.Events.Stores;

/// <summary>A job as stored: the request (contract JSON), its state, the result once known, the latest progress.</summary>
public sealed record TrainingJob(Guid RequestId, string RequestJson, string Status, int Attempts, string? Owner, string? ResultJson,
    string? ProgressJson, string? Error);
