using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace NeuralTrade.Events.Workers.Ingest;

/// <summary>Ingest's ActivitySource and Meter (https://opentelemetry.io/docs/specs/semconv/general/metrics/).</summary>
public static class IngestTelemetry
{
    public const string Name = "NeuralTrade.Ingest";

    public static readonly ActivitySource Source = new(Name);
    static readonly Meter Meter = new(Name);

    /// <summary>Candles by outcome: accepted, duplicate, rejected (by code).</summary>
    public static readonly Counter<long> Candles = Meter.CreateCounter<long>("neuraltrade.ingest.candles", "{candle}",
        "Candles received, by outcome.");

    /// <summary>Messages by outcome: processed, replayed (already done), invalid (dead-lettered).</summary>
    public static readonly Counter<long> Messages = Meter.CreateCounter<long>("neuraltrade.ingest.messages", "{message}",
        "market.candles messages, by outcome.");

    /// <summary>Gaps found where new candles extend a series (a step longer than one interval), by interval.</summary>
    public static readonly Counter<long> Gaps = Meter.CreateCounter<long>("neuraltrade.ingest.gaps", "{gap}",
        "Holes new candles leave in their series, by interval.");

    /// <summary>Candles missing in those gaps, by interval.</summary>
    public static readonly Counter<long> MissingCandles = Meter.CreateCounter<long>("neuraltrade.ingest.gap_candles", "{candle}",
        "Candles missing in the gaps new candles leave, by interval.");

    public static readonly Histogram<double> Duration = Meter.CreateHistogram("neuraltrade.ingest.duration", "s",
        "Time to validate, store and announce one market.candles message.",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5] });
}
