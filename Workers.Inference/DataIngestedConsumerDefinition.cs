using MassTransit;
using Microsoft.Extensions.Options;
using NeuralTrade.Events.Contracts;
using NeuralTrade.Events.Hosting;
using NeuralTrade.Events.MarketData;
using NeuralTrade.Events.Messaging;
using NeuralTrade.Events.Stores;

namespace NeuralTrade.Events.Workers.Inference;

public sealed class DataIngestedConsumerDefinition(IOptions<MessagingOptions> messaging, IOptions<InferenceOptions> inference)
    : QueueConsumerDefinition<DataIngestedConsumer>(messaging.Value, DataIngestedConsumer.QueueName, inference.Value.ConcurrentRequests);
