using MassTransit;
using NeuralTrade.Events.Contracts;
using NeuralTrade.Events.Messaging;
using NeuralTrade.Events.Stores;

namespace NeuralTrade.Events.Workers.Inference;

/// <summary>
/// <c>model.deployed</c>, on a queue of this instance's own: every instance swaps. The message is a notice, not an
/// authority: it is acted on only when it matches the Registry's own record (the registry state only the Registry
/// writes), and the artifact loaded is the one that record names, never the one the message names. A notice that
/// is older than the champion of record swaps to the champion of record.
/// </summary>
public sealed partial class ModelDeployedConsumer(ModelSwapper swapper, IModelRegistryStore registry, ILogger<ModelDeployedConsumer> logger)
    : IConsumer<ModelDeployed>
{
    public async Task Consume(ConsumeContext<ModelDeployed> context)
    {
        var deployed = context.Message;
        var record = await registry.GetVersionAsync(deployed.ModelName, deployed.Version, context.CancellationToken);
        if (record is null)
            throw Refused(deployed, "the Registry has no such version; only the Registry deploys models");
        if (!SameArtifact(record.Artifact, deployed.Artifact))
            throw Refused(deployed, $"its artifact ({deployed.Artifact.Uri}, SHA-256 {Shown(deployed.Artifact.Sha256)}, {deployed.Artifact.SizeBytes} bytes) "
                + $"is not the one the Registry recorded for that version (SHA-256 {record.Artifact.Sha256})");
        var champion = await registry.GetChampionAsync(deployed.ModelName, context.CancellationToken);
        if (champion is null)
            throw Refused(deployed, "the Registry records no champion for that model");
        if (champion.Version != deployed.Version)
            LogSuperseded(deployed.ModelName, deployed.Version, champion.Version);
        await swapper.SwapAsync(champion.ModelName, champion.Version, champion.Artifact, context.CancellationToken);
    }

    static bool SameArtifact(ArtifactRef recorded, ArtifactRef announced) =>
        recorded.Uri == announced.Uri && recorded.SizeBytes == announced.SizeBytes
        && !string.IsNullOrEmpty(announced.Sha256) && string.Equals(recorded.Sha256, announced.Sha256, StringComparison.OrdinalIgnoreCase);

    InvalidMessageException Refused(ModelDeployed deployed, string why)
    {
        InferenceTelemetry.Swaps.Add(1, new KeyValuePair<string, object?>("outcome", "refused"));
        LogRefused(deployed.ModelName, deployed.Version, why);
        return new InvalidMessageException($"model.deployed for {deployed.ModelName} v{deployed.Version} refused: {why}");
    }

    static string Shown(string? sha256) => string.IsNullOrEmpty(sha256) ? "missing" : sha256.Length > 64 ? sha256[..64] + "…" : sha256;

    [LoggerMessage(Level = LogLevel.Warning, Message = "model.deployed for {ModelName} v{Version} refused: {Reason}")]
    partial void LogRefused(string modelName, int version, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "model.deployed for {ModelName} v{Version} is older than the champion of record v{Champion}; serving v{Champion}")]
    partial void LogSuperseded(string modelName, int version, int champion);
}
