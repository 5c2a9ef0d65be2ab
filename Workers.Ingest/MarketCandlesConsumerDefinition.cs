using Microsoft.Extensions.Options;
using NeuralTrade.Events.Messaging;

namespace NeuralTrade.Events.Workers.Ingest;

/// <summary>The <c>ingest</c> queue: the fleet's conventions and Ingest's concurrency limit.</summary>
public sealed class MarketCandlesConsumerDefinition(IOptions<MessagingOptions> messaging, IOptions<IngestOptions> ingest)
    : QueueConsumerDefinition<MarketCandlesConsumer>(messaging.Value, MarketCandlesConsumer.QueueName, ingest.Value.ConcurrentMessageLimit);
