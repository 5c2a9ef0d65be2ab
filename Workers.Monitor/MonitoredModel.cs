using NeuralTrade.Events.Modeling;

namespace NeuralTrade.Events.Workers.Monitor;

/// <summary>The champion of a series and the baselines in its artifact.</summary>
public sealed record MonitoredModel(string Name, int Version, ArtifactManifest Manifest, IReadOnlyDictionary<string, double> Metrics)
{
    public FeatureSpec FeatureSpec { get; } = FeatureSpec.Resolve(Manifest.FeatureSpecId);

    /// <summary>Each feature baseline's sample as doubles with its effective size, computed once per model.</summary>
    public IReadOnlyDictionary<string, (double[] Values, double Effective)> FeatureSamples { get; } = Manifest.FeatureBaseline
        .Where(b => b.Sample.Length >= 2)
        .ToDictionary(b => b.Name, b => Prepare(b.Sample));

    /// <summary>The validation confidence sample as doubles with its effective size.</summary>
    public (double[] Values, double Effective) ConfidenceSample { get; } = Prepare(Manifest.PredictionBaseline.ConfidenceSample);

    static (double[] Values, double Effective) Prepare(float[] sample)
    {
        var values = sample.Select(v => (double)v).ToArray();
        return (values, values.Length >= 2 ? DriftStatistics.EffectiveSampleSize(values) : values.Length);
    }
}
