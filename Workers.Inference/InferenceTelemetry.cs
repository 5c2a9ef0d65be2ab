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
}
