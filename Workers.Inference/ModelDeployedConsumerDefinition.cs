using MassTransit;
using Microsoft.Extensions.Options;
using NeuralTrade.Events.Contracts;
using NeuralTrade.Events.Hosting;
using NeuralTrade.Events.MarketData;
using NeuralTrade.Events.Messaging;
using NeuralTrade.Events.Stores;

namespace NeuralTrade.Events.Workers.Inference;

/// <summary>A queue of this instance's own, bound to <c>model.deployed</c>: every instance receives every deployment.</summary>
public sealed class ModelDeployedConsumerDefinition(IOptions<MessagingOptions> messaging, IOptions<InferenceOptions> inference)
    : QueueConsumerDefinition<ModelDeployedConsumer>(messaging.Value, QueueFor(inference.Value.InstanceId), concurrentMessageLimit: 1)
{
    public static string QueueFor(string instanceId) => $"inference-swap-{instanceId}";
}
