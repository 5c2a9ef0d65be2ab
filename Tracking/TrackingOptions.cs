namespace NeuralTrade.Events.Tracking;

public sealed class TrackingOptions
{
    public const string SectionName = "Tracking";

    /// <summary>MLflow tracking server (<c>MLFLOW_TRACKING_URI</c>); unset records runs locally only.</summary>
    public string? MlflowUri { get; set; }

    /// <summary>MLflow basic-auth user (<c>MLFLOW_TRACKING_USERNAME</c>), with <see cref="MlflowPassword"/>, as MLflow's own clients send it.</summary>
    public string? MlflowUsername { get; set; }

    /// <summary>MLflow basic-auth password (<c>MLFLOW_TRACKING_PASSWORD</c>). Never logged.</summary>
    public string? MlflowPassword { get; set; }

    /// <summary>MLflow bearer token (<c>MLFLOW_TRACKING_TOKEN</c>); used instead of a user and password. Never logged.</summary>
    public string? MlflowToken { get; set; }

    /// <summary>Where runs and artifacts are recorded locally; every worker that reads artifacts must see it.</summary>
    public string LocalDirectory { get; set; } = Path.Combine(".neuraltrade", "runs");

    /// <summary>The largest artifact read (as stored); larger ones are refused before they are read whole. 1 GiB.</summary>
    public long MaxArtifactBytes { get; set; } = 1L << 30;

    public int TimeoutSeconds { get; set; } = 10;

    public int Retries { get; set; } = 3;

    public bool UsesMlflow => !string.IsNullOrWhiteSpace(MlflowUri);
}
