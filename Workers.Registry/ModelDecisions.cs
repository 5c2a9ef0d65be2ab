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
    RunTracker tracker,
    IServiceProvider services,
    IOptions<RegistryOptions> options,
    TimeProvider time,
    ILogger<ModelDecisions> logger)
{
    public const string ChampionAlias = "champion";
    readonly RegistryOptions _options = options.Value;
    MlflowClient? Mlflow => services.GetService<MlflowClient>();

    /// <summary>Fault points of a promotion, in order: where the reliability suite kills the Registry.</summary>
    public const string AfterMlflowVersion = "registry.after-mlflow-version", AfterRegister = "registry.after-register", AfterPromote = "registry.after-promote", AfterAlias = "registry.after-alias";

    /// <summary>
    /// Gates a trained candidate; returns <see cref="ModelDeployed"/> or <see cref="ModelRejected"/> to publish, or null
    /// where a promotion begun earlier was overtaken by a later decision (nothing to announce).
    /// A promotion is crash-safe: the intent (the champion it replaces) is recorded before anything changes, then the
    /// version is registered, promoted and aliased, each step idempotent, so a redelivery after a crash at any point
    /// finishes what was started instead of announcing half of it.
    /// </summary>
    public async Task<IntegrationEvent?> DecideAsync(TrainingCompleted candidate, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        await using var _ = await LockAsync(candidate.ModelName, cancellationToken);
        var started = System.Diagnostics.Stopwatch.GetTimestamp();

        if (await registry.FindByRunAsync(candidate.ModelName, candidate.RunId, cancellationToken) is { } known)
            return await FinishPromotionAsync(candidate, known, cancellationToken);

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
        // The figures the gate decided on go on the candidate's run, so the MLflow UI shows the same numbers as the event.
        await RecordDecisionOnRunAsync(candidate, decision, cancellationToken);
        if (!decision.Promote)
            return Rejected(candidate, decision.Reason, decision.CandidateMetrics, decision.ChampionMetrics);

        // The intent first: which champion this promotion replaces. A redelivery reads it back to tell an unfinished
        // promotion (champion still that one) from one a later decision overtook.
        await registry.GetOrAddPlanAsync(GatePlanKey(candidate.RunId), champion?.Version.ToString(CultureInfo.InvariantCulture) ?? "", cancellationToken);
        var version = await RegisterAsync(candidate, decision, cancellationToken);
        FaultPoints.Reach(AfterRegister);
        var replaced = await registry.PromoteAsync(candidate.ModelName, version.Version, cancellationToken);
        await registry.GetOrAddPlanAsync(PromotedKey(candidate.RunId), "1", cancellationToken);
        FaultPoints.Reach(AfterPromote);
        await MoveAliasAsync(version, cancellationToken);
        FaultPoints.Reach(AfterAlias);
        return Deployed(version, replaced, "gate", candidate.CorrelationId, $"{candidate.RunId}|gate");
    }

    /// <summary>
    /// A candidate registered before: a redelivery of its <c>training.completed</c>, after a crash somewhere between
    /// registering and the acknowledgement. Finishes the promotion where the champion is still the one it set out to
    /// replace, then announces it (with the same event id as the first time); announces nothing where a later
    /// decision has moved the champion on since.
    /// </summary>
    async Task<IntegrationEvent?> FinishPromotionAsync(TrainingCompleted candidate, RegisteredVersion known, CancellationToken cancellationToken)
    {
        var champion = await registry.GetChampionAsync(candidate.ModelName, cancellationToken);
        if (champion?.Version != known.Version)
        {
            // Finished only where the intent was recorded, the promotion never happened (a later rollback must not be
            // undone by a replay) and the champion is still the one it set out to replace.
            var replacing = await registry.GetPlanAsync(GatePlanKey(candidate.RunId), cancellationToken);
            var promoted = await registry.GetPlanAsync(PromotedKey(candidate.RunId), cancellationToken);
            var current = champion?.Version.ToString(CultureInfo.InvariantCulture) ?? "";
            if (replacing != current || promoted is not null)
            {
                LogOvertaken(candidate.ModelName, known.Version, champion?.Version);
                return null;
            }

            LogFinishing(candidate.ModelName, known.Version);
            await registry.PromoteAsync(candidate.ModelName, known.Version, cancellationToken);
            await registry.GetOrAddPlanAsync(PromotedKey(candidate.RunId), "1", cancellationToken);
            FaultPoints.Reach(AfterPromote);
        }
        else
        {
            LogAlreadyDecided(candidate.RunId, known.Version);
        }

        await MoveAliasAsync(known, cancellationToken);
        var previous = await registry.PreviousChampionAsync(candidate.ModelName, cancellationToken);
        return Deployed(known, previous, "gate", candidate.CorrelationId, $"{candidate.RunId}|gate");
    }

    static string GatePlanKey(string runId) => $"gate:{runId}";

    /// <summary>Set once the run's promotion happened: a later replay must not promote it again over a rollback.</summary>
    static string PromotedKey(string runId) => $"gate:{runId}:promoted";

    /// <summary>Makes a registered version the champion without the gate; null when it already is. Keyed by the body's <c>eventId</c>.</summary>
    public Task<ModelDeployed?> PromoteAsync(PromoteModel command, CancellationToken cancellationToken) =>
        PromoteAsync(command, command.EventId.ToString("N"), cancellationToken);

    /// <summary>
    /// Makes a registered version the champion without the gate; null when it already is. <paramref name="commandKey"/>
    /// identifies the command across redeliveries (<see cref="MessageKeys.Of"/>: its sender, message id and exact body,
    /// stable even where the body carries no <c>eventId</c>): the same command again repeats its first decision.
    /// </summary>
    public async Task<ModelDeployed?> PromoteAsync(PromoteModel command, string commandKey, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        await using var _ = await LockAsync(command.ModelName, cancellationToken);
        var target = await registry.GetVersionAsync(command.ModelName, command.Version, cancellationToken)
            ?? throw new InvalidMessageException($"{command.ModelName} has no version {command.Version}; see the registered versions with the CLI's `models list`.");
        var current = await registry.GetChampionAsync(command.ModelName, cancellationToken);
        var plan = await registry.GetOrAddPlanAsync($"promote:{commandKey}", $"{current?.Version}>{target.Version}", cancellationToken);
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
        return Deployed(target, previous, "promote", command.CorrelationId, $"{commandKey}|promote");
    }

    /// <summary>Returns to the champion before the current one.</summary>
    public Task<ModelDeployed> RollbackAsync(RollbackModel command, CancellationToken cancellationToken) =>
        RollbackAsync(command, command.EventId.ToString("N"), cancellationToken);

    /// <summary>Returns to the champion before the current one, once per <paramref name="commandKey"/> (see <see cref="PromoteAsync(PromoteModel, string, CancellationToken)"/>).</summary>
    public async Task<ModelDeployed> RollbackAsync(RollbackModel command, string commandKey, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        await using var _ = await LockAsync(command.ModelName, cancellationToken);
        var current = await registry.GetChampionAsync(command.ModelName, cancellationToken);
        var previous = await registry.PreviousChampionAsync(command.ModelName, cancellationToken);
        // The first run decides from → to; a redelivered command finds that record and repeats it, never rolling back twice.
        var plan = await registry.GetOrAddPlanAsync($"rollback:{commandKey}", $"{current?.Version}>{previous}", cancellationToken);
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
        return Deployed(target, fromVersion, "rollback", command.CorrelationId, $"{commandKey}|rollback");
    }

    /// <summary>
    /// Decision tags and <c>gate_</c> metrics on the candidate's run: in MLflow when the run is there, and in the local
    /// run store when this machine holds it (the demo, one machine), so the run shows the figures the gate decided on.
    /// </summary>
    async Task RecordDecisionOnRunAsync(TrainingCompleted candidate, GateDecision decision, CancellationToken cancellationToken)
    {
        var inMlflow = Mlflow is not null && candidate.Artifact.Uri.StartsWith("mlflow-artifacts:", StringComparison.Ordinal);
        await tracker.RecordOnRunAsync(candidate.ModelName, candidate.RunId, inMlflow, GateMetrics(decision), GateTags(decision),
            "neuraltrade.gate.decision", cancellationToken);
    }

    /// <summary>The decision's figures as run metrics: <c>gate_*</c> for the candidate, <c>gate_champion_*</c> for the champion's headline figures.</summary>
    static Dictionary<string, double> GateMetrics(GateDecision decision)
    {
        var metrics = decision.CandidateMetrics.ToDictionary(m => "gate_" + m.Key, m => m.Value);
        foreach (var (k, v) in decision.ChampionMetrics.Where(m => m.Key is "macro_f1" or "accuracy" or "log_loss"))
            metrics["gate_champion_" + k] = v;
        return metrics;
    }

    /// <summary>
    /// The model version's tags in MLflow (versions have tags, not metrics): the decision, its reason and window, and the
    /// headline figures it was made on, formatted invariantly.
    /// </summary>
    static Dictionary<string, string> VersionTags(TrainingCompleted candidate, GateDecision decision)
    {
        var tags = GateTags(decision);
        foreach (var (k, v) in GateMetrics(decision).Where(m => double.IsFinite(m.Value) && IsHeadline(m.Key)))
            tags[k] = v.ToString("R", CultureInfo.InvariantCulture);
        tags["sha256"] = candidate.Artifact.Sha256;
        tags["artifact"] = candidate.Artifact.Uri;
        return tags;

        static bool IsHeadline(string key) => key is "gate_macro_f1" or "gate_accuracy" or "gate_log_loss" or "gate_backtest_sharpe" or "gate_samples"
            or "gate_champion_macro_f1" or $"gate_{ChampionGate.ChampionDeltaMetric}" or $"gate_{ChampionGate.ChampionLowerMetric}"
            or $"gate_{ChampionGate.BaselineLowerMetric}" or $"gate_{ChampionGate.SharpeLowerMetric}";
    }

    static Dictionary<string, string> GateTags(GateDecision decision) => new()
    {
        ["neuraltrade.gate.decision"] = decision.Promote ? "promoted" : "rejected",
        ["neuraltrade.gate.reason"] = decision.Reason,
        ["neuraltrade.gate.window"] = $"{decision.WindowFrom:O}/{decision.WindowTo:O}",
    };

    async Task<RegisteredVersion> RegisterAsync(TrainingCompleted candidate, GateDecision decision, CancellationToken cancellationToken)
    {
        var metrics = new Dictionary<string, double>(candidate.Metrics);
        foreach (var (k, v) in decision.CandidateMetrics)
            metrics["gate_" + k] = v;
        var version = new RegisteredVersion(candidate.ModelName, 0, candidate.RunId, candidate.Artifact, metrics, time.GetUtcNow(), RegisteredVersion.Local);
        if (Mlflow is { } mlflow && candidate.Artifact.Uri.StartsWith("mlflow-artifacts:", StringComparison.Ordinal))
        {
            // The run lives in MLflow: the version number is MLflow's, so the UI and the events agree.
            await mlflow.EnsureRegisteredModelAsync(candidate.ModelName, cancellationToken);
            // The version's source is the run's MLflow model directory (MlflowModel.ArtifactPath): the .ntm lives in it
            // (model/<name>.ntm beside model/MLmodel), so models:/<name>@champion loads with mlflow.pyfunc.load_model.
            var source = candidate.Artifact.Uri[..candidate.Artifact.Uri.LastIndexOf('/')];
            // Idempotent by run: a crash after MLflow registered the version and before the registry recorded it finds
            // that version again instead of registering a second one.
            var existing = (await mlflow.FindModelVersionsByRunAsync(candidate.ModelName, candidate.RunId, cancellationToken)).FirstOrDefault();
            var number = existing?.Version ?? await mlflow.CreateModelVersionAsync(candidate.ModelName, source, candidate.RunId,
                VersionTags(candidate, decision),
                null, cancellationToken);
            version = version with { Version = number, Registry = RegisteredVersion.Mlflow };
            FaultPoints.Reach(AfterMlflowVersion);
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "{ModelName} version {Version} was registered but a crash stopped its promotion: finishing it")]
    partial void LogFinishing(string modelName, int version);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{ModelName} version {Version} was registered but never promoted, and the champion has since become v{Champion}: nothing to announce")]
    partial void LogOvertaken(string modelName, int version, int? champion);

    [LoggerMessage(Level = LogLevel.Information, Message = "Run {RunId} was registered as version {Version} before: announcing it again")]
    partial void LogAlreadyDecided(string runId, int version);

    [LoggerMessage(Level = LogLevel.Information, Message = "Gate for {ModelName} run {RunId}: promote={Promote}, {Reason}")]
    partial void LogDecision(string modelName, string runId, bool promote, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "{ModelName} version {Version} registered ({Registry})")]
    partial void LogRegistered(string modelName, int version, string registry);

    [LoggerMessage(Level = LogLevel.Information, Message = "{ModelName} version {Version} is the champion already: nothing to do")]
    partial void LogNoChange(string modelName, int version);
}
