using MassTransit;
using NeuralTrade.Events.Contracts;
using NeuralTrade.Events.MarketData;

namespace NeuralTrade.Events.Workers.Inference;

/// <summary><c>data.ingested</c> → a streamed <c>prediction.completed</c> for the series' newest closed candle.</summary>
public sealed class DataIngestedConsumer(PredictionService predictions) : IConsumer<DataIngested>
{
    public const string QueueName = "inference-stream";

    public async Task Consume(ConsumeContext<DataIngested> context)
    {
        var m = context.Message;
        var series = new SeriesKey(m.Exchange, m.Symbol, m.Interval);
        // A child of MassTransit's consume span, which continues the trace of the candle that Ingest stored.
        using var activity = InferenceTelemetry.Source.StartActivity("predict stream");
        activity?.SetTag("neuraltrade.series", series.ToString());
        var outcome = await predictions.PredictAsync(series, null, m.CorrelationId, null, null, context.CancellationToken);
        activity?.SetTag("neuraltrade.outcome", outcome.Prediction is null ? "none" : "predicted");
        // No model yet, or too little history: nothing to stream (counted as failed in the metrics), not an error.
        if (outcome.Prediction is { } prediction)
            await context.Publish(prediction, context.CancellationToken);
    }
}
