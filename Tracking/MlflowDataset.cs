namespace NeuralTrade.Events.Tracking;

/// <summary>
/// A dataset a run used, as MLflow's <c>runs/log-inputs</c> takes it (service.proto <c>Dataset</c>): a name, a digest
/// that tells versions of the same name apart, where it came from (<see cref="SourceType"/> and <see cref="Source"/>),
/// and optionally its schema (MLflow ColSpec JSON) and a profile (summary statistics, JSON).
/// </summary>
public sealed record MlflowDataset(string Name, string Digest, string SourceType, string Source, string? Schema = null, string? Profile = null)
{
    /// <summary>MLflow's limits (mlflow/utils/validation.py): longer fields are refused with INVALID_PARAMETER_VALUE.</summary>
    public const int MaxNameLength = 500, MaxDigestLength = 36, MaxSourceLength = 65_535, MaxSchemaLength = 1_048_575,
        MaxProfileLength = 16_777_215;

    /// <summary>Throws <see cref="ArgumentException"/> naming the field that MLflow would refuse.</summary>
    public void Validate()
    {
        static void Check(string field, string? value, int max, bool required)
        {
            if (required && string.IsNullOrEmpty(value))
                throw new ArgumentException($"A dataset's {field} is required.");
            if (value is not null && value.Length > max)
                throw new ArgumentException($"A dataset's {field} is {value.Length} characters; MLflow takes at most {max}.");
        }

        Check("name", Name, MaxNameLength, true);
        Check("digest", Digest, MaxDigestLength, true);
        Check("source_type", SourceType, int.MaxValue, true);
        Check("source", Source, MaxSourceLength, true);
        Check("schema", Schema, MaxSchemaLength, false);
        Check("profile", Profile, MaxProfileLength, false);
    }
}

/// <summary>A dataset input of a run: the dataset and its input tags (e.g. <c>mlflow.data.context</c> = <c>training</c>).</summary>
public sealed record MlflowDatasetInput(MlflowDataset Dataset, IReadOnlyDictionary<string, string> Tags)
{
    /// <summary>The input tag MLflow's UI shows as the dataset's context (mlflow/utils/mlflow_tags.py).</summary>
    public const string ContextTag = "mlflow.data.context";

    /// <summary>MLflow's limits on input tags (mlflow/utils/validation.py).</summary>
    public const int MaxTagKeyLength = 255, MaxTagValueLength = 500;

    public void Validate()
    {
        Dataset.Validate();
        foreach (var (key, value) in Tags)
        {
            if (key.Length is 0 or > MaxTagKeyLength || value.Length > MaxTagValueLength)
                throw new ArgumentException($"A dataset input tag '{key}' is longer than MLflow takes ({MaxTagKeyLength} for a key, {MaxTagValueLength} for a value).");
        }
    }
}
