using MassTransit;
using Microsoft.Extensions.Options;
using NeuralTrade.Events.Contracts;
using NeuralTrade.Events.Hosting;
using NeuralTrade.Events.Messaging;
using NeuralTrade.Events.Stores;

namespace NeuralTrade.Events.Workers.Registry;

public sealed class PromoteModelConsumerDefinition(IOptions<MessagingOptions> messaging)
    : QueueConsumerDefinition<PromoteModelConsumer>(messaging.Value, PromoteModelConsumer.QueueName, concurrentMessageLimit: 4);
