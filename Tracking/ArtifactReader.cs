namespace NeuralTrade.Events.Tracking;

/// <summary>
/// Reads artifacts from the two places this fleet writes them, and nowhere else: the local run store
/// (<c>file://</c> under <c>Tracking:LocalDirectory</c>) and the configured MLflow server's artifact proxy
/// (<c>mlflow-artifacts:</c>, fetched from the configured tracking URI whatever server the URI names). Any other path,
/// scheme or URL is refused without being opened, as is anything over <paramref name="maxBytes"/>.
/// </summary>
public sealed class ArtifactReader(string localRoot, MlflowClient? mlflow, long maxBytes)
{
    readonly string _root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(localRoot)) + Path.DirectorySeparatorChar;

    /// <exception cref="ArtifactLocationException">The URI is outside the run store and the MLflow artifact proxy, or too large.</exception>
    public async Task<byte[]> ReadAsync(string uri, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(uri);
        if (uri.StartsWith("file:", StringComparison.OrdinalIgnoreCase))
            return await ReadLocalAsync(uri, cancellationToken);
        if (uri.StartsWith("mlflow-artifacts:", StringComparison.Ordinal))
        {
            if (mlflow is null)
                throw new ArtifactLocationException($"artifact {Shown(uri)} is in MLflow, but no MLflow tracking server is configured (MLFLOW_TRACKING_URI)");
            if (uri.Split('/').Any(segment => segment is "." or ".." || segment.Contains('\\', StringComparison.Ordinal) || segment.Contains('%', StringComparison.Ordinal)))
                throw new ArtifactLocationException($"artifact {Shown(uri)} has a relative or encoded path segment; refused");
            return await mlflow.DownloadArtifactAsync(uri, maxBytes, cancellationToken);
        }

        throw new ArtifactLocationException($"artifact URI '{Shown(uri)}' is neither in the run store (file://) nor in the MLflow artifact proxy " +
            "(mlflow-artifacts:); artifacts are never read from other paths or URLs");
    }

    async Task<byte[]> ReadLocalAsync(string uri, CancellationToken cancellationToken)
    {
        if (!Uri.TryCreate(uri, UriKind.Absolute, out var parsed) || !parsed.IsFile || !string.IsNullOrEmpty(parsed.Host))
            throw new ArtifactLocationException($"artifact URI '{Shown(uri)}' is not a local file:// URI");
        var path = Path.GetFullPath(parsed.LocalPath);
        if (!path.StartsWith(_root, StringComparison.Ordinal))
            throw new ArtifactLocationException($"artifact {Shown(uri)} is outside the run store {_root}; artifacts are never read from other paths");
        var file = new FileInfo(path);
        // A link inside the run store must not lead out of it.
        if (file.LinkTarget is not null && file.ResolveLinkTarget(returnFinalTarget: true) is { } target
            && !Path.GetFullPath(target.FullName).StartsWith(_root, StringComparison.Ordinal))
            throw new ArtifactLocationException($"artifact {Shown(uri)} links outside the run store; refused");
        if (!file.Exists)
            throw new FileNotFoundException($"artifact {Shown(uri)} is not in the run store", path);
        if (file.Length > maxBytes)
            throw new ArtifactLocationException($"artifact {Shown(uri)} is {file.Length:N0} bytes; artifacts are at most {maxBytes:N0}");
        return await File.ReadAllBytesAsync(path, cancellationToken);
    }

    /// <summary>A URI as quoted in an error: at most 200 characters, and without credentials.</summary>
    static string Shown(string uri)
    {
        var at = uri.IndexOf('@', StringComparison.Ordinal);
        var scheme = uri.IndexOf("://", StringComparison.Ordinal);
        if (at > 0 && scheme > 0 && at > scheme)
            uri = uri[..(scheme + 3)] + "***" + uri[at..];
        return uri.Length <= 200 ? uri : uri[..200] + "…";
    }
}
