using Microsoft.Extensions.Options;
using NeuralTrade.Events.Messaging;

namespace NeuralTrade.Events.Workers.Inference;

public sealed class PredictionRequestedConsumerDefinition(IOptions<MessagingOptions> messaging, IOptions<InferenceOptions> inference)
    : QueueConsumerDefinition<PredictionRequestedConsumer>(messaging.Value, PredictionRequestedConsumer.QueueName, inference.Value.ConcurrentRequests);
