using System.Collections.Concurrent;
using NeuralTrade.Events.Contracts;
using NeuralTrade.Events.MarketData;
using NeuralTrade.Events.Modeling;
using NeuralTrade.Events.Stores;
using NeuralTrade.Events.Tracking;

namespace NeuralTrade.Events.Workers.Monitor;

/// <summary>
/// Resolves the champion of a series from the registry state (Redis: shared by every instance) at each check, so drift
/// is always measured against the model in service: after <c>model.deployed</c> the next check uses the new baseline.
/// Manifests are read once per version (digest verified, no weights loaded) and cached.
/// </summary>
public sealed partial class ChampionBaselines(IModelRegistryStore registry, ArtifactReader artifacts, ILogger<ChampionBaselines> logger)
{
    readonly ConcurrentDictionary<(string Name, int Version, string Sha256), Lazy<Task<ArtifactManifest>>> _manifests = new();
    readonly ConcurrentDictionary<(string Name, int Version), DateTimeOffset> _failures = new();
    static readonly TimeSpan RetryFailedAfter = TimeSpan.FromMinutes(1);

    public const string NoModel = "no_model", BaselineUnavailable = "baseline_unavailable";

    /// <summary>
    /// The champion of <paramref name="series"/>; null with <paramref name="problem"/> <c>no_model</c> when there is none,
    /// or <c>baseline_unavailable</c> when its artifact cannot be read or is refused (logged, retried after a minute).
    /// </summary>
    public async Task<(MonitoredModel? Model, string? Problem)> CurrentAsync(SeriesKey series, CancellationToken cancellationToken)
    {
        var name = ModelNames.For(series);
        if (await registry.GetChampionAsync(name, cancellationToken) is not { } champion)
            return (null, NoModel);
        if (_failures.TryGetValue((name, champion.Version), out var failedAt) && DateTimeOffset.UtcNow - failedAt < RetryFailedAfter)
            return (null, BaselineUnavailable);

        var key = (name, champion.Version, champion.Artifact.Sha256);
        var lazy = _manifests.GetOrAdd(key, _ => new Lazy<Task<ArtifactManifest>>(() => LoadAsync(name, champion.Artifact)));
        try
        {
            var manifest = await lazy.Value.WaitAsync(cancellationToken);
            foreach (var stale in _manifests.Keys.Where(k => k.Name == name && k.Version != champion.Version))
                _manifests.TryRemove(stale, out _);
            return (new MonitoredModel(name, champion.Version, manifest, champion.Metrics), null);
        }
        catch (Exception e) when (e is ArtifactIntegrityException or ArtifactLocationException or IOException or HttpRequestException or InvalidOperationException
                                       or MlflowException or ArgumentException or System.Text.Json.JsonException)
        {
            _manifests.TryRemove(key, out _);
            _failures[(name, champion.Version)] = DateTimeOffset.UtcNow;
            LogBaselineUnavailable(name, champion.Version, champion.Artifact.Uri, e.Message);
            return (null, BaselineUnavailable);
        }
    }

    /// <summary>The verified manifest, refused unless it is bound to the series <paramref name="name"/> stands for.</summary>
    async Task<ArtifactManifest> LoadAsync(string name, ArtifactRef artifact)
    {
        var bytes = await artifacts.ReadAsync(artifact.Uri, CancellationToken.None);
        var manifest = ModelArtifact.ReadManifest(ArtifactVerifier.Verify(bytes, artifact));
        ArtifactVerifier.VerifyBinding(manifest, name);
        return manifest;
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "No drift baseline for {ModelName} v{Version}: its artifact {Uri} could not be read ({Error}); drift is not measured until it can be")]
    partial void LogBaselineUnavailable(string modelName, int version, string uri, string error);
}
