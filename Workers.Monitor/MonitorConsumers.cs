using MassTransit;
using Microsoft.Extensions.Options;
using NeuralTrade.Events.Contracts;
using NeuralTrade.Events.Hosting;
using NeuralTrade.Events.Messaging;
using NeuralTrade.Events.Stores;

namespace NeuralTrade.Events.Workers.Monitor;

/// <summary><c>data.ingested</c> on <c>monitor</c>: update the windows and check the series.</summary>
public sealed class MonitorDataIngestedConsumer(DriftMonitor monitor) : IConsumer<DataIngested>
{
    public const string QueueName = "monitor";

    public Task Consume(ConsumeContext<DataIngested> context) =>
        monitor.OnDataIngestedAsync(context.Message, (e, ct) => e switch
        {
            DriftDetected drift => context.Publish(drift, ct),
            TrainingRequested request => context.Publish(request, ct),
            _ => throw new InvalidOperationException($"the monitor does not publish {e.GetType().Name}"),
        }, context.CancellationToken);
}

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

public sealed class MonitorDataIngestedConsumerDefinition(IOptions<MessagingOptions> messaging, IOptions<MonitorOptions> monitor)
    : QueueConsumerDefinition<MonitorDataIngestedConsumer>(messaging.Value, MonitorDataIngestedConsumer.QueueName, monitor.Value.ConcurrentMessages);

public sealed class MonitorPredictionCompletedConsumerDefinition(IOptions<MessagingOptions> messaging, IOptions<MonitorOptions> monitor)
    : QueueConsumerDefinition<MonitorPredictionCompletedConsumer>(messaging.Value, MonitorPredictionCompletedConsumer.QueueName,
        monitor.Value.ConcurrentMessages);
