namespace NeuralTrade.Events.Tracking;

/// <summary>Reads artifacts wherever a run put them: <c>file://</c>, or MLflow's artifact store.</summary>
public sealed class ArtifactReader(MlflowClient? mlflow)
{
    public async Task<byte[]> ReadAsync(string uri, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(uri);
        if (Uri.TryCreate(uri, UriKind.Absolute, out var parsed) && parsed.IsFile)
            return await File.ReadAllBytesAsync(parsed.LocalPath, cancellationToken);
        if (uri.StartsWith("mlflow-artifacts:", StringComparison.Ordinal) || uri.StartsWith("http", StringComparison.Ordinal))
        {
            if (mlflow is null)
                throw new InvalidOperationException($"artifact {uri} is in MLflow, but no MLflow tracking server is configured (MLFLOW_TRACKING_URI)");
            return await mlflow.DownloadArtifactAsync(uri, cancellationToken);
        }

        throw new ArgumentException($"artifact URI '{uri}' has a scheme this fleet cannot read (file://, mlflow-artifacts:, http(s)://)", nameof(uri));
    }
}
