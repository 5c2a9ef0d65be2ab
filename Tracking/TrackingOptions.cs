namespace NeuralTrade.Events.Tracking;

public sealed class TrackingOptions
{
    public const string SectionName = "Tracking";

    /// <summary>MLflow tracking server (<c>MLFLOW_TRACKING_URI</c>); unset records runs locally only.</summary>
    public string? MlflowUri { get; set; }

    /// <summary>Where runs and artifacts are recorded locally; every worker that reads artifacts must see it.</summary>
    public string LocalDirectory { get; set; } = Path.Combine(".neuraltrade", "runs");

    /// <summary>The largest artifact read (as stored); larger ones are refused before they are read whole. 1 GiB.</summary>
    public long MaxArtifactBytes { get; set; } = 1L << 30;

    public int TimeoutSeconds { get; set; } = 10;

    public int Retries { get; set; } = 3;

    public bool UsesMlflow => !string.IsNullOrWhiteSpace(MlflowUri);
}
