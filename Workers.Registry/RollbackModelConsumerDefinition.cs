using Microsoft.Extensions.Options;
using NeuralTrade.Events.Messaging;

namespace NeuralTrade.Events.Workers.Registry;

public sealed class RollbackModelConsumerDefinition(IOptions<MessagingOptions> messaging)
    : QueueConsumerDefinition<RollbackModelConsumer>(messaging.Value, RollbackModelConsumer.QueueName, concurrentMessageLimit: 4);
