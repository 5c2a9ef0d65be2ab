using MassTransit;
using NeuralTrade.Events.Contracts;
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
            request.CorrelationId, request.Candles, request.AsOf, context.CancellationToken);
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
