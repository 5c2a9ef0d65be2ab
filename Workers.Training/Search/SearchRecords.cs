using System.Text.Json;
using NeuralTrade.Events.Contracts;
using NeuralTrade.Events.Messaging;

namespace NeuralTrade.Events.Workers.Training.Search;

/// <summary>A search as stored when its trials are fanned out: what the CLI follows and the finisher reads.</summary>
/// <param name="ParentRunId">The search's parent run (MLflow, else local).</param>
/// <param name="ParentInMlflow">Whether the parent run is in MLflow.</param>
/// <param name="Trials">Each trial's values, by trial number.</param>
/// <param name="Rungs">ASHA's rungs in epochs (empty: no early stopping).</param>
public sealed record SearchState(Guid SearchId, string ModelName, string ParentRunId, bool ParentInMlflow, string Strategy,
    int MaxEpochs, IReadOnlyList<IReadOnlyDictionary<string, double>> Trials, IReadOnlyList<int> Rungs, int ReductionFactor,
    DateTimeOffset StartedAt);

/// <summary>The end states of a trial.</summary>
public static class TrialStatus
{
    public const string Completed = "completed", Stopped = "stopped", Failed = "failed";
}

/// <summary>
/// A trial's outcome. Selection reads <see cref="ValidationMacroF1"/> only (the validation split, never the test
/// split); <see cref="Completed"/> is the trial's training.completed, announced for the search when the trial is the best.
/// </summary>
public sealed record TrialOutcome(int Trial, string Status, IReadOnlyDictionary<string, double> Values, string? RunId, int Epochs,
    double? ValidationMacroF1, double? ValidationLoss, double DurationSeconds, int Attempts, string? Error = null,
    TrainingCompleted? Completed = null)
{
    /// <summary>When the trial's last attempt started (its run opened): with <see cref="DurationSeconds"/>, its place in time.</summary>
    public DateTimeOffset? StartedAt { get; init; }

    /// <summary>The trainer (host/process/slot owner) that ran its last attempt.</summary>
    public string? Trainer { get; init; }
}

/// <summary>A trial job's body in the job store: which search and which trial.</summary>
public sealed record TrialJob(Guid SearchId, int Trial)
{
    const string Marker = "searchTrial";

    /// <summary>The job id of a trial: the same for every delivery of the same trial, so it is enqueued once.</summary>
    public Guid JobId => DeterministicGuid.Create($"{SearchId}|trial|{Trial}");

    public string ToJson() => JsonSerializer.Serialize(new Dictionary<string, TrialJob> { [Marker] = this }, ContractJson.Options);

    /// <summary>The trial a job's body names; null for a training request's body.</summary>
    public static TrialJob? TryParse(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty(Marker, out var trial)
            ? trial.Deserialize<TrialJob>(ContractJson.Options)
            : null;
    }
}

/// <summary>Serialization of the search records, with the contract's options.</summary>
public static class SearchJson
{
    public static string Write<T>(T value) => JsonSerializer.Serialize(value, ContractJson.Options);

    public static T Read<T>(string json) => JsonSerializer.Deserialize<T>(json, ContractJson.Options)!;
}
