using Microsoft.Extensions.Options;
using NeuralTrade.Events.Messaging;

namespace NeuralTrade.Events.Workers.Monitor;

public sealed class MonitorPredictionCompletedConsumerDefinition(IOptions<MessagingOptions> messaging, IOptions<MonitorOptions> monitor)
    : QueueConsumerDefinition<MonitorPredictionCompletedConsumer>(messaging.Value, MonitorPredictionCompletedConsumer.QueueName,
        monitor.Value.ConcurrentMessages);
