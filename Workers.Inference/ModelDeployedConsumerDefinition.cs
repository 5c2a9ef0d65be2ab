using Microsoft.Extensions.Options;
using NeuralTrade.Events.Messaging;

namespace NeuralTrade.Events.Workers.Inference;

/// <summary>A queue of this instance's own, bound to <c>model.deployed</c>: every instance receives every deployment. Named
/// after the instance id the deployment gives the replica, so a restarted replica finds its queue; one left unused for
/// seven days (an instance that is gone) expires.</summary>
public sealed class ModelDeployedConsumerDefinition(IOptions<MessagingOptions> messaging, IOptions<InferenceOptions> inference)
    : QueueConsumerDefinition<ModelDeployedConsumer>(messaging.Value, QueueFor(inference.Value.InstanceId), concurrentMessageLimit: 1)
{
    protected override bool PerInstance => true;

    public static string QueueFor(string instanceId) => $"inference-swap-{instanceId}";
}
