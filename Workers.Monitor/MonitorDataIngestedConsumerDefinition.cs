using Microsoft.Extensions.Options;
using NeuralTrade.Events.Messaging;

namespace NeuralTrade.Events.Workers.Monitor;

public sealed class MonitorDataIngestedConsumerDefinition(IOptions<MessagingOptions> messaging, IOptions<MonitorOptions> monitor)
    : QueueConsumerDefinition<MonitorDataIngestedConsumer>(messaging.Value, MonitorDataIngestedConsumer.QueueName, monitor.Value.ConcurrentMessages);
