using MassTransit;
using Microsoft.Extensions.Options;
using NeuralTrade.Events.Contracts;
using NeuralTrade.Events.Hosting;
using NeuralTrade.Events.MarketData;

namespace NeuralTrade.Events.Workers.Inference;

/// <summary><c>prediction.requested</c> → <c>prediction.completed</c> or <c>prediction.failed</c>; also answers MassTransit requests.</summary>
public sealed class PredictionRequestedConsumer(PredictionService predictions) : IConsumer<PredictionRequested>
{
    public const string QueueName = "inference";

    public async Task Consume(ConsumeContext<PredictionRequested> context)
    {
        var request = context.Message;
        using var activity = InferenceTelemetry.Source.StartActivity("predict");
        var outcome = await predictions.PredictAsync(new SeriesKey(request.Exchange ?? "", request.Symbol ?? "", request.Interval ?? ""), request.RequestId,
            request.CorrelationId, request.Candles, context.CancellationToken);
        if (outcome.Prediction is { } prediction)
        {
            await context.Publish(prediction, context.CancellationToken);
            if (context.ResponseAddress is not null)
                await context.RespondAsync(prediction);
        }
        else
        {
            await context.Publish(outcome.Failure!, context.CancellationToken);
            if (context.ResponseAddress is not null)
                await context.RespondAsync(outcome.Failure!);
        }
    }
}

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
        var outcome = await predictions.PredictAsync(series, null, m.CorrelationId, null, context.CancellationToken);
        activity?.SetTag("neuraltrade.outcome", outcome.Prediction is null ? "none" : "predicted");
        // No model yet, or too little history: nothing to stream (counted as failed in the metrics), not an error.
        if (outcome.Prediction is { } prediction)
            await context.Publish(prediction, context.CancellationToken);
    }
}

/// <summary><c>model.deployed</c>, on a queue of this instance's own: every instance swaps.</summary>
public sealed class ModelDeployedConsumer(ModelSwapper swapper) : IConsumer<ModelDeployed>
{
    public async Task Consume(ConsumeContext<ModelDeployed> context) =>
        await swapper.SwapAsync(context.Message.ModelName, context.Message.Version, context.Message.Artifact, context.CancellationToken);
}

public sealed class PredictionRequestedConsumerDefinition(IOptions<MessagingOptions> messaging, IOptions<InferenceOptions> inference)
    : QueueConsumerDefinition<PredictionRequestedConsumer>(messaging.Value, PredictionRequestedConsumer.QueueName, inference.Value.ConcurrentRequests);

public sealed class DataIngestedConsumerDefinition(IOptions<MessagingOptions> messaging, IOptions<InferenceOptions> inference)
    : QueueConsumerDefinition<DataIngestedConsumer>(messaging.Value, DataIngestedConsumer.QueueName, inference.Value.ConcurrentRequests);

/// <summary>A queue of this instance's own, bound to <c>model.deployed</c>: every instance receives every deployment.</summary>
public sealed class ModelDeployedConsumerDefinition(IOptions<MessagingOptions> messaging, IOptions<InferenceOptions> inference)
    : QueueConsumerDefinition<ModelDeployedConsumer>(messaging.Value, QueueFor(inference.Value.InstanceId), concurrentMessageLimit: 1)
{
    public static string QueueFor(string instanceId) => $"inference-swap-{instanceId}";
}
