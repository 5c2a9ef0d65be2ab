using MassTransit;

namespace NeuralTrade.Events.Messaging;

/// <summary>
/// A consumer on a queue of its own name, with the fleet's retry and a limit on messages in flight: the endpoint
/// settings every worker uses.
/// </summary>
public abstract class QueueConsumerDefinition<TConsumer> : ConsumerDefinition<TConsumer>
    where TConsumer : class, IConsumer
{
    readonly MessagingOptions _messaging;

    protected QueueConsumerDefinition(MessagingOptions messaging, string queue, int concurrentMessageLimit)
    {
        ArgumentNullException.ThrowIfNull(messaging);
        _messaging = messaging;
        EndpointName = queue;
        ConcurrentMessageLimit = concurrentMessageLimit;
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator, IConsumerConfigurator<TConsumer> consumerConfigurator,
        IRegistrationContext context) => endpointConfigurator.UseNeuralTradeRetry(_messaging);
}
