using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace NeuralTrade.Events.Workers.Inference;

public static class InferenceTelemetry
{
    public const string Name = "NeuralTrade.Inference";
    public static readonly ActivitySource Source = new(Name);
    static readonly Meter Meter = new(Name);

    public static readonly Counter<long> Predictions = Meter.CreateCounter<long>("neuraltrade.inference.predictions", "{prediction}",
        "Predictions by kind (requested, streamed) and outcome (answered, cached, failed).");
    public static readonly Histogram<double> Latency = Meter.CreateHistogram<double>("neuraltrade.inference.latency", "ms",
        "Time from taking a request to having its answer.");
    public static readonly Histogram<int> BatchSize = Meter.CreateHistogram<int>("neuraltrade.inference.batch_size", "{request}",
        "Requests per forward pass.");
    public static readonly Counter<long> Swaps = Meter.CreateCounter<long>("neuraltrade.inference.swaps", "{swap}",
        "Model swaps by outcome (swapped, unchanged, refused).");

    static readonly List<WeakReference<ModelCatalog>> Catalogs = [];

    static readonly ObservableGauge<int> Versions = Meter.CreateObservableGauge("neuraltrade.inference.model.version", ObserveVersions,
        "{version}", "Model version in service, by model (read from the catalog at each collection).");

    /// <summary>Reports the versions this catalog serves in <c>neuraltrade.inference.model.version</c> (held weakly: a disposed host's catalog goes).</summary>
    public static void ObserveVersions(ModelCatalog catalog)
    {
        _ = Versions;
        lock (Catalogs)
            Catalogs.Add(new WeakReference<ModelCatalog>(catalog));
    }

    static IEnumerable<Measurement<int>> ObserveVersions()
    {
        List<ModelCatalog> alive;
        lock (Catalogs)
        {
            Catalogs.RemoveAll(w => !w.TryGetTarget(out _));
            alive = Catalogs.Select(w => w.TryGetTarget(out var c) ? c : null).OfType<ModelCatalog>().ToList();
        }

        return alive.SelectMany(c => c.All).Select(m => new Measurement<int>(m.Version, new KeyValuePair<string, object?>("model", m.Name)));
    }
}
