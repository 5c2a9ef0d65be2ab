using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace NeuralTrade.Events.Workers.Training;

public static class TrainingTelemetry
{
    public const string Name = "NeuralTrade.Training";
    public static readonly ActivitySource Source = new(Name);
    static readonly Meter Meter = new(Name);

    public static readonly Counter<long> Jobs = Meter.CreateCounter<long>("neuraltrade.training.jobs", "{job}", "Training jobs by outcome.");
    public static readonly Counter<long> Epochs = Meter.CreateCounter<long>("neuraltrade.training.epochs", "{epoch}", "Epochs trained.");
    public static readonly Gauge<double> Progress = Meter.CreateGauge<double>("neuraltrade.training.progress", null,
        "Share of the running job's epochs done (0-1), by model; early stopping ends a job before 1.");
    public static readonly Counter<long> Samples = Meter.CreateCounter<long>("neuraltrade.training.samples", "{sample}", "Samples trained on.");
    public static readonly Histogram<double> Loss = Meter.CreateHistogram<double>("neuraltrade.training.loss", null, "Loss per epoch, by split.");
    public static readonly Histogram<double> Duration = Meter.CreateHistogram("neuraltrade.training.duration", "s", "Duration of a training job.",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200] });
}
