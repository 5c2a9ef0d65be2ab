using Microsoft.Extensions.Options;
using NeuralTrade.Events.Messaging;

namespace NeuralTrade.Events.Workers.Registry;

public sealed class TrainingCompletedConsumerDefinition(IOptions<MessagingOptions> messaging)
    : QueueConsumerDefinition<TrainingCompletedConsumer>(messaging.Value, TrainingCompletedConsumer.QueueName, concurrentMessageLimit: 4);
