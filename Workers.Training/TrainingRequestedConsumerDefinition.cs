using System.Text.Json;
using MassTransit;
using Microsoft.Extensions.Options;
using NeuralTrade.Events.Contracts;
using NeuralTrade.Events.Hosting;
using NeuralTrade.Events.MarketData;
using NeuralTrade.Events.Messaging;
using NeuralTrade.Events.Modeling;
using NeuralTrade.Events.Stores;

namespace NeuralTrade.Events.Workers.Training;

public sealed class TrainingRequestedConsumerDefinition(IOptions<MessagingOptions> messaging)
    : QueueConsumerDefinition<TrainingRequestedConsumer>(messaging.Value, TrainingRequestedConsumer.QueueName, concurrentMessageLimit: 4);
