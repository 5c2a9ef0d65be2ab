using Microsoft.Extensions.Options;
using NeuralTrade.Events.Messaging;

namespace NeuralTrade.Events.Workers.Registry;

public sealed class PromoteModelConsumerDefinition(IOptions<MessagingOptions> messaging)
    : QueueConsumerDefinition<PromoteModelConsumer>(messaging.Value, PromoteModelConsumer.QueueName, concurrentMessageLimit: 4);
