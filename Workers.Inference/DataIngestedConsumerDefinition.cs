using Microsoft.Extensions.Options;
using NeuralTrade.Events.Messaging;

namespace NeuralTrade.Events.Workers.Inference;

public sealed class DataIngestedConsumerDefinition(IOptions<MessagingOptions> messaging, IOptions<InferenceOptions> inference)
    : QueueConsumerDefinition<DataIngestedConsumer>(messaging.Value, DataIngestedConsumer.QueueName, inference.Value.ConcurrentRequests);
