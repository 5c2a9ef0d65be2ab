using Microsoft.Extensions.Options;
using NeuralTrade.Events.Messaging;

namespace NeuralTrade.Events.Workers.Training;

public sealed class TrainingRequestedConsumerDefinition(IOptions<MessagingOptions> messaging)
    : QueueConsumerDefinition<TrainingRequestedConsumer>(messaging.Value, TrainingRequestedConsumer.QueueName, concurrentMessageLimit: 4);
