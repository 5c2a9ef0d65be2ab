using MassTransit;
using Microsoft.Extensions.Options;
using NeuralTrade.Events.Contracts;
using NeuralTrade.Events.Hosting;
using NeuralTrade.Events.Messaging;
using NeuralTrade.Events.Stores;

namespace NeuralTrade.Events.Workers.Monitor;

public sealed class MonitorPredictionCompletedConsumerDefinition(IOptions<MessagingOptions> messaging, IOptions<MonitorOptions> monitor)
    : QueueConsumerDefinition<MonitorPredictionCompletedConsumer>(messaging.Value, MonitorPredictionCompletedConsumer.QueueName,
        monitor.Value.ConcurrentMessages);
