using MassTransit;
using Microsoft.Extensions.Options;
using NeuralTrade.Events.Contracts;
using NeuralTrade.Events.Hosting;
using NeuralTrade.Events.Messaging;
using NeuralTrade.Events.Stores;

namespace NeuralTrade.Events.Workers.Registry;

public sealed class RollbackModelConsumerDefinition(IOptions<MessagingOptions> messaging)
    : QueueConsumerDefinition<RollbackModelConsumer>(messaging.Value, RollbackModelConsumer.QueueName, concurrentMessageLimit: 4);
