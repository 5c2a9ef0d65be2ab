using MassTransit;
using Microsoft.Extensions.Options;
using NeuralTrade.Events.Contracts;
using NeuralTrade.Events.Hosting;
using NeuralTrade.Events.Messaging;
using NeuralTrade.Events.Stores;

namespace NeuralTrade.Events.Workers.Registry;

public sealed class TrainingCompletedConsumerDefinition(IOptions<MessagingOptions> messaging)
    : QueueConsumerDefinition<TrainingCompletedConsumer>(messaging.Value, TrainingCompletedConsumer.QueueName, concurrentMessageLimit: 4);
