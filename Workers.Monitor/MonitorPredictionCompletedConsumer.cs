using MassTransit;
using NeuralTrade.Events.Contracts;

namespace NeuralTrade.Events.Workers.Monitor;

/// <summary>
/// <c>prediction.completed</c> on <c>monitor-predictions</c>: record streamed predictions for prediction and concept
/// drift. Its own queue, as every message type here: a raw JSON body names no type, so on a shared queue each consumer
/// would try to read every body.
/// </summary>
public sealed class MonitorPredictionCompletedConsumer(DriftMonitor monitor) : IConsumer<PredictionCompleted>
{
    public const string QueueName = "monitor-predictions";

    public Task Consume(ConsumeContext<PredictionCompleted> context) => monitor.RecordPredictionAsync(context.Message, context.CancellationToken);
}
