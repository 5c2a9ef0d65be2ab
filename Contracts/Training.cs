using System.Text.Json;
using MassTransit;

namespace NeuralTrade.Events.Contracts;

/// <summary>Asks for a model to be trained on a series' stored candles.</summary>
[Exchange(Exchanges.TrainingRequested)]
[MessageUrn("neuraltrade:training.requested")]
public sealed record TrainingRequested : IntegrationEvent
{
    /// <summary>Caller's id for this request; every later training event carries it.</summary>
    public required Guid RequestId { get; init; }
    /// <summary>Venue of the series.</summary>
    public required string Exchange { get; init; }
    /// <summary>Instrument of the series.</summary>
    public required string Symbol { get; init; }
    /// <summary>Interval of the series.</summary>
    public required string Interval { get; init; }
    /// <summary>First openTime to use; all stored history when absent.</summary>
    public DateTimeOffset? From { get; init; }
    /// <summary>Last openTime to use; up to the newest candle when absent.</summary>
    public DateTimeOffset? To { get; init; }
    /// <summary>Overrides of the model's hyperparameters by name; defaults apply to the rest.</summary>
    public IReadOnlyDictionary<string, JsonElement>? Hyperparameters { get; init; }
    /// <summary>Why training was asked for, e.g. <c>manual</c>, <c>drift</c>, <c>schedule</c>.</summary>
    public required string Reason { get; init; }
    /// <summary>
    /// A hyperparameter search instead of one training (added in contract 1.x; absent means one training): the Training
    /// workers run its trials as competing consumers and the best trial on the validation split becomes the candidate.
    /// </summary>
    public SearchRequest? Search { get; init; }
}

/// <summary>A hyperparameter search: the space, the strategy, the budget and early stopping.</summary>
public sealed record SearchRequest
{
    /// <summary>The hyperparameters to vary, by name (at most 8): each a list of values or an interval.</summary>
    public required IReadOnlyDictionary<string, SearchRange> Space { get; init; }
    /// <summary><c>random</c> (the default) or <c>grid</c> (every combination of the lists; the budget must cover them).</summary>
    public string? Strategy { get; init; }
    /// <summary>The budget: how many trials, 1 to 256.</summary>
    public required int Trials { get; init; }
    /// <summary>Seed of random search's draws (0 when absent): the same request plans the same trials.</summary>
    public int? Seed { get; init; }
    /// <summary>Asynchronous successive halving; every trial trains its whole budget of epochs when absent.</summary>
    public EarlyStoppingRequest? EarlyStopping { get; init; }
}

/// <summary>One hyperparameter's range: <c>values</c>, or <c>min</c> and <c>max</c> (random search only; <c>log</c> to sample log-uniformly).</summary>
public sealed record SearchRange
{
    /// <summary>The values to try (1 to 32).</summary>
    public IReadOnlyList<double>? Values { get; init; }
    /// <summary>The interval's lower end.</summary>
    public double? Min { get; init; }
    /// <summary>The interval's upper end.</summary>
    public double? Max { get; init; }
    /// <summary>Sample the interval log-uniformly (min must be positive).</summary>
    public bool? Log { get; init; }
}

/// <summary>ASHA early stopping: rungs at <c>graceEpochs·η^k</c> epochs; a trial below the top 1/η at a rung stops there.</summary>
public sealed record EarlyStoppingRequest
{
    /// <summary>Epochs every trial trains before it can be stopped (the first rung).</summary>
    public required int GraceEpochs { get; init; }
    /// <summary>η, 2 to 8 (3 when absent): about 1/η of the trials go on from each rung.</summary>
    public int? ReductionFactor { get; init; }
}

/// <summary>A training run has started.</summary>
[Exchange(Exchanges.TrainingStarted)]
[MessageUrn("neuraltrade:training.started")]
public sealed record TrainingStarted : IntegrationEvent
{
    /// <summary>The request being served.</summary>
    public required Guid RequestId { get; init; }
    /// <summary>Run id in the tracking store (MLflow or local).</summary>
    public required string RunId { get; init; }
    /// <summary>Experiment id in the tracking store.</summary>
    public required string ExperimentId { get; init; }
    /// <summary>Name of the model, e.g. <c>signal-binance-btc-usdt-1m</c>.</summary>
    public required string ModelName { get; init; }
}

/// <summary>Where a model artifact lives and how to check it.</summary>
/// <param name="Uri">Location readable by every worker (file://, mlflow-artifacts:/, http(s)://).</param>
/// <param name="Sha256">Lower-case hex SHA-256 of the artifact's bytes.</param>
/// <param name="SizeBytes">Size of the artifact in bytes.</param>
public sealed record ArtifactRef(string Uri, string Sha256, long SizeBytes);

/// <summary>The data a model was trained on.</summary>
/// <param name="From">First openTime used.</param>
/// <param name="To">Last openTime used.</param>
/// <param name="Samples">Number of labelled windows.</param>
public sealed record DatasetRange(DateTimeOffset From, DateTimeOffset To, int Samples);

/// <summary>A training run finished and wrote its artifact.</summary>
[Exchange(Exchanges.TrainingCompleted)]
[MessageUrn("neuraltrade:training.completed")]
public sealed record TrainingCompleted : IntegrationEvent
{
    /// <summary>The request served.</summary>
    public required Guid RequestId { get; init; }
    /// <summary>Run id in the tracking store.</summary>
    public required string RunId { get; init; }
    /// <summary>Name of the model.</summary>
    public required string ModelName { get; init; }
    /// <summary>The artifact written.</summary>
    public required ArtifactRef Artifact { get; init; }
    /// <summary>Evaluation metrics on the held-out test split, by name.</summary>
    public required IReadOnlyDictionary<string, double> Metrics { get; init; }
    /// <summary>The data used.</summary>
    public required DatasetRange Dataset { get; init; }
    /// <summary>Wall-clock length of the run.</summary>
    public required double DurationSeconds { get; init; }
    /// <summary>Where the run was recorded, and why not in MLflow when MLflow was configured but failed.</summary>
    public TrackingInfo? Tracking { get; init; }
}

/// <summary>Where a run is recorded.</summary>
/// <param name="Store"><c>mlflow</c>, or <c>local</c> (the worker's run directory).</param>
/// <param name="Error">Why MLflow was not used although configured; absent when all went well.</param>
public sealed record TrackingInfo(string Store, string? Error = null);

/// <summary>A training request could not be served; the reason says why.</summary>
[Exchange(Exchanges.TrainingFailed)]
[MessageUrn("neuraltrade:training.failed")]
public sealed record TrainingFailed : IntegrationEvent
{
    /// <summary>The request that failed.</summary>
    public required Guid RequestId { get; init; }
    /// <summary>Run id, when a run had been created.</summary>
    public string? RunId { get; init; }
    /// <summary>What went wrong, for people.</summary>
    public required string Error { get; init; }
}
