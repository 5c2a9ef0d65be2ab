using System.Globalization;
using Microsoft.Extensions.Options;
using NeuralTrade.Events.Contracts;
using NeuralTrade.Events.MarketData;
using NeuralTrade.Events.Messaging;
using NeuralTrade.Events.Modeling;
using NeuralTrade.Events.Stores;
using NeuralTrade.Events.Tracking;

namespace NeuralTrade.Events.Workers.Registry;

/// <summary>
/// Every change of a model's champion: the gate for a trained candidate, an operator's promote, a rollback. Each runs
/// under the model's decision lock (one decision per model name at a time across all Registry instances) and is
/// idempotent: the same event or command again changes nothing and announces the same event id.
/// </summary>
public sealed partial class ModelDecisions(
    IModelRegistryStore registry,
    ICandleStore candles,
    ArtifactReader artifacts,
    IServiceProvider services,
    IOptions<RegistryOptions> options,
    TimeProvider time,
    ILogger<ModelDecisions> logger)
{
    public const string ChampionAlias = "champion";
    readonly RegistryOptions _options = options.Value;
    MlflowClient? Mlflow => services.GetService<MlflowClient>();

    /// <summary>Gates a trained candidate; returns <see cref="ModelDeployed"/> or <see cref="ModelRejected"/> to publish.</summary>
    public async Task<IntegrationEvent> DecideAsync(TrainingCompleted candidate, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        await using var _ = await LockAsync(candidate.ModelName, cancellationToken);
        var started = System.Diagnostics.Stopwatch.GetTimestamp();

        if (await registry.FindByRunAsync(candidate.ModelName, candidate.RunId, cancellationToken) is { } known)
        {
            // Promoted before (a redelivery, or a crash before the ack): announce the same event again, decide nothing.
            LogAlreadyDecided(candidate.RunId, known.Version);
            var previous = await registry.PreviousChampionAsync(candidate.ModelName, cancellationToken);
            return Deployed(known, previous, "gate", candidate.CorrelationId, $"{candidate.RunId}|gate");
        }

        VerifiedArtifact candidateArtifact;
        try
        {
            candidateArtifact = ArtifactVerifier.Verify(await artifacts.ReadAsync(candidate.Artifact.Uri, cancellationToken), candidate.Artifact);
            // Bound to the series its name stands for: the gate scores it, and the champion, on that series only.
            ArtifactVerifier.VerifyBinding(ModelArtifact.ReadManifest(candidateArtifact), candidate.ModelName);
        }
        catch (ArtifactIntegrityException e)
        {
            return Rejected(candidate, $"artifact refused: {e.Message}", new Dictionary<string, double>(), new Dictionary<string, double>());
        }

        var champion = await registry.GetChampionAsync(candidate.ModelName, cancellationToken);
        var championArtifact = champion is null
            ? null
            : ArtifactVerifier.Verify(await artifacts.ReadAsync(champion.Artifact.Uri, cancellationToken), champion.Artifact);
        if (championArtifact is not null)
            ArtifactVerifier.VerifyBinding(ModelArtifact.ReadManifest(championArtifact), candidate.ModelName);

        var decision = await Task.Factory.StartNew(async () =>
        {
            // TorchSharp's dispose scopes are per thread: read, score and dispose on this one, never awaiting torch work.
            using var candidateModel = ModelArtifact.Read(candidateArtifact);
            using var championModel = championArtifact is null ? null : ModelArtifact.Read(championArtifact);
            var series = SeriesKey.Parse(candidateModel.Manifest.Training.Series);
            var (from, to) = ChampionGate.CandleRange(candidateModel, championModel);
            var window = await candles.GetRangeAsync(series, from, to, cancellationToken);
            return ChampionGate.Decide(candidateModel, championModel, window, _options);
        }, cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();

        LogDecision(candidate.ModelName, candidate.RunId, decision.Promote, decision.Reason);
        RegistryTelemetry.Decisions.Add(1, new KeyValuePair<string, object?>("outcome", decision.Promote ? "promoted" : "rejected"));
        RegistryTelemetry.DecisionDuration.Record(System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds,
            new KeyValuePair<string, object?>("outcome", decision.Promote ? "promoted" : "rejected"));
        if (!decision.Promote)
            return Rejected(candidate, decision.Reason, decision.CandidateMetrics, decision.ChampionMetrics);

        var version = await RegisterAsync(candidate, decision.CandidateMetrics, cancellationToken);
        var replaced = await registry.PromoteAsync(candidate.ModelName, version.Version, cancellationToken);
        await MoveAliasAsync(version, cancellationToken);
        return Deployed(version, replaced, "gate", candidate.CorrelationId, $"{candidate.RunId}|gate");
    }

    /// <summary>Makes a registered version the champion without the gate; null when it already is.</summary>
    public async Task<ModelDeployed?> PromoteAsync(PromoteModel command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        await using var _ = await LockAsync(command.ModelName, cancellationToken);
        var target = await registry.GetVersionAsync(command.ModelName, command.Version, cancellationToken)
            ?? throw new InvalidMessageException($"{command.ModelName} has no version {command.Version}; see the registered versions with the CLI's `models list`.");
        var current = await registry.GetChampionAsync(command.ModelName, cancellationToken);
        var plan = await registry.GetOrAddPlanAsync($"promote:{command.EventId:N}", $"{current?.Version}>{target.Version}", cancellationToken);
        var planned = plan.Split('>');
        if (current?.Version == target.Version && planned[0] == planned[1])
        {
            LogNoChange(command.ModelName, target.Version);
            return null;
        }

        await registry.PromoteAsync(command.ModelName, target.Version, cancellationToken);
        await MoveAliasAsync(target, cancellationToken);
        var previous = int.TryParse(planned[0], CultureInfo.InvariantCulture, out var p) ? p : (int?)null;
        RegistryTelemetry.Decisions.Add(1, new KeyValuePair<string, object?>("outcome", "promote"));
        return Deployed(target, previous, "promote", command.CorrelationId, $"{command.EventId:N}|promote");
    }

    /// <summary>Returns to the champion before the current one.</summary>
    public async Task<ModelDeployed> RollbackAsync(RollbackModel command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        await using var _ = await LockAsync(command.ModelName, cancellationToken);
        var current = await registry.GetChampionAsync(command.ModelName, cancellationToken);
        var previous = await registry.PreviousChampionAsync(command.ModelName, cancellationToken);
        // The first run decides from → to; a redelivered command finds that record and repeats it, never rolling back twice.
        var plan = await registry.GetOrAddPlanAsync($"rollback:{command.EventId:N}", $"{current?.Version}>{previous}", cancellationToken);
        var (from, to) = plan.Split('>') is [var f, var t] ? (f, t) : ("", "");
        if (!int.TryParse(from, CultureInfo.InvariantCulture, out var fromVersion))
            throw new InvalidMessageException($"{command.ModelName} has no champion to roll back from.");
        if (!int.TryParse(to, CultureInfo.InvariantCulture, out var toVersion))
            throw new InvalidMessageException($"{command.ModelName} has no earlier champion to roll back to (champion is version {fromVersion}).");

        await registry.RollbackAsync(command.ModelName, fromVersion, cancellationToken); // false when a first attempt already did it
        var target = await registry.GetVersionAsync(command.ModelName, toVersion, cancellationToken)
            ?? throw new InvalidOperationException($"{command.ModelName} version {toVersion} vanished from the registry");
        await MoveAliasAsync(target, cancellationToken);
        RegistryTelemetry.Decisions.Add(1, new KeyValuePair<string, object?>("outcome", "rollback"));
        return Deployed(target, fromVersion, "rollback", command.CorrelationId, $"{command.EventId:N}|rollback");
    }

    async Task<RegisteredVersion> RegisterAsync(TrainingCompleted candidate, IReadOnlyDictionary<string, double> windowMetrics, CancellationToken cancellationToken)
    {
        var metrics = new Dictionary<string, double>(candidate.Metrics);
        foreach (var (k, v) in windowMetrics)
            metrics["gate_" + k] = v;
        var version = new RegisteredVersion(candidate.ModelName, 0, candidate.RunId, candidate.Artifact, metrics, time.GetUtcNow(), RegisteredVersion.Local);
        if (Mlflow is { } mlflow && candidate.Artifact.Uri.StartsWith("mlflow-artifacts:", StringComparison.Ordinal))
        {
            // The run lives in MLflow: the version number is MLflow's, so the UI and the events agree.
            await mlflow.EnsureRegisteredModelAsync(candidate.ModelName, cancellationToken);
            var source = candidate.Artifact.Uri[..candidate.Artifact.Uri.LastIndexOf('/')];
            var number = await mlflow.CreateModelVersionAsync(candidate.ModelName, source, candidate.RunId,
                new Dictionary<string, string> { ["sha256"] = candidate.Artifact.Sha256, ["artifact"] = candidate.Artifact.Uri }, null, cancellationToken);
            version = version with { Version = number, Registry = RegisteredVersion.Mlflow };
        }

        var stored = await registry.AddVersionAsync(version, cancellationToken);
        LogRegistered(stored.ModelName, stored.Version, stored.Registry);
        return stored;
    }

    async Task MoveAliasAsync(RegisteredVersion version, CancellationToken cancellationToken)
    {
        if (version.Registry == RegisteredVersion.Mlflow && Mlflow is { } mlflow)
            await mlflow.SetAliasAsync(version.ModelName, ChampionAlias, version.Version, cancellationToken);
    }

    async Task<IAsyncDisposable> LockAsync(string modelName, CancellationToken cancellationToken)
    {
        var lease = TimeSpan.FromSeconds(_options.DecisionLeaseSeconds);
        var until = time.GetUtcNow().AddSeconds(_options.LockWaitSeconds);
        while (true)
        {
            if (await registry.TryLockAsync(modelName, lease, cancellationToken) is { } held)
                return held;
            if (time.GetUtcNow() > until)
                throw new ModelBusyException($"another decision for {modelName} held its lock for over {_options.LockWaitSeconds} s; retrying later");
            await Task.Delay(TimeSpan.FromMilliseconds(100), time, cancellationToken);
        }
    }

    static ModelDeployed Deployed(RegisteredVersion version, int? previous, string reason, Guid correlationId, string idSeed) => new()
    {
        EventId = DeterministicGuid.Create($"{idSeed}|model.deployed|{version.ModelName}|{version.Version}"),
        CorrelationId = correlationId,
        ModelName = version.ModelName,
        Version = version.Version,
        RunId = version.RunId,
        Artifact = version.Artifact,
        Metrics = version.Metrics,
        PreviousVersion = previous,
        Reason = reason,
    };

    static ModelRejected Rejected(TrainingCompleted candidate, string reason, IReadOnlyDictionary<string, double> candidateMetrics,
        IReadOnlyDictionary<string, double> championMetrics) => new()
    {
        EventId = DeterministicGuid.Create($"{candidate.RunId}|gate|model.rejected"),
        CorrelationId = candidate.CorrelationId,
        ModelName = candidate.ModelName,
        RunId = candidate.RunId,
        Reason = reason,
        CandidateMetrics = candidateMetrics,
        ChampionMetrics = championMetrics,
    };

    [LoggerMessage(Level = LogLevel.Information, Message = "Run {RunId} was registered as version {Version} before: announcing it again")]
    partial void LogAlreadyDecided(string runId, int version);

    [LoggerMessage(Level = LogLevel.Information, Message = "Gate for {ModelName} run {RunId}: promote={Promote}, {Reason}")]
    partial void LogDecision(string modelName, string runId, bool promote, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "{ModelName} version {Version} registered ({Registry})")]
    partial void LogRegistered(string modelName, int version, string registry);

    [LoggerMessage(Level = LogLevel.Information, Message = "{ModelName} version {Version} is the champion already: nothing to do")]
    partial void LogNoChange(string modelName, int version);
}
