using NeuralTrade.Events.Contracts;
using NeuralTrade.Events.Messaging;
using NeuralTrade.Events.Modeling;
using NeuralTrade.Events.Tracking;

namespace NeuralTrade.Events.Workers.Inference;

/// <summary>
/// Loads a deployed version off the request path: download, verify the SHA-256 and size (a mismatch is refused and the model
/// in service keeps serving), load, warm with one forward pass, then swap atomically in the catalog.
/// </summary>
public sealed partial class ModelSwapper(ArtifactReader artifacts, ModelCatalog catalog, ILogger<ModelSwapper> logger)
{
    readonly SemaphoreSlim _gate = new(1, 1);

    /// <summary>True when it swapped; false when that version already serves.</summary>
    public async Task<bool> SwapAsync(string modelName, int version, ArtifactRef artifact, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(artifact);
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (catalog.Current(modelName) is { } current && current.Version == version
                && string.Equals(current.Sha256, artifact.Sha256, StringComparison.OrdinalIgnoreCase))
            {
                InferenceTelemetry.Swaps.Add(1, new KeyValuePair<string, object?>("outcome", "unchanged"));
                return false;
            }

            byte[] bytes;
            try
            {
                bytes = await artifacts.ReadAsync(artifact.Uri, cancellationToken);
            }
            catch (ArtifactLocationException e)
            {
                InferenceTelemetry.Swaps.Add(1, new KeyValuePair<string, object?>("outcome", "refused"));
                LogRefused(modelName, version, e.Message, catalog.Current(modelName)?.Version);
                throw new InvalidMessageException($"{modelName} v{version} refused: {e.Message}; the model in service keeps serving");
            }

            var served = await Task.Factory.StartNew(() =>
            {
                LoadedModel model;
                try
                {
                    // Read bounds the manifest's dimensions before it allocates; the binding is checked on the manifest it read.
                    model = ModelArtifact.Read(ArtifactVerifier.Verify(bytes, artifact));
                    try
                    {
                        ArtifactVerifier.VerifyBinding(model.Manifest, modelName);
                    }
                    catch
                    {
                        model.Dispose();
                        throw;
                    }
                }
                catch (ArtifactIntegrityException e)
                {
                    InferenceTelemetry.Swaps.Add(1, new KeyValuePair<string, object?>("outcome", "refused"));
                    LogRefused(modelName, version, e.Message, catalog.Current(modelName)?.Version);
                    throw new InvalidMessageException($"{modelName} v{version} refused: {e.Message}; the model in service keeps serving");
                }

                // Warm-up: the first forward pass allocates; do it here, not on a request.
                var manifest = model.Manifest;
                Predictor.PredictProbabilities(model.Model, new float[manifest.WindowSize * manifest.FeatureNames.Count], 1, manifest.WindowSize,
                    manifest.FeatureNames.Count, 1, TorchSharp.torch.CPU);
                return new ServedModel(model, version);
            }, cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default);

            var previous = catalog.Current(modelName)?.Version;
            catalog.Swap(served);
            InferenceTelemetry.Swaps.Add(1, new KeyValuePair<string, object?>("outcome", "swapped"));
            LogSwapped(modelName, previous, version);
            return true;
        }
        finally
        {
            _gate.Release();
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Refused {ModelName} v{Version}: {Error}; still serving v{Serving}")]
    partial void LogRefused(string modelName, int version, string error, int? serving);

    [LoggerMessage(Level = LogLevel.Information, Message = "{ModelName}: now serving v{Version} (was v{Previous})")]
    partial void LogSwapped(string modelName, int? previous, int version);
}
