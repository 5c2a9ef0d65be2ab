using MassTransit;
using Microsoft.Extensions.DependencyInjection;

namespace NeuralTrade.Events.Messaging;

/// <summary>
/// A consumer on a queue of its own name, declared as a work queue (<see cref="QueueTopology"/>), with the fleet's
/// poison-message bound, retry and a limit on messages in flight: the endpoint settings every worker uses.
/// </summary>
public abstract class QueueConsumerDefinition<TConsumer> : ConsumerDefinition<TConsumer>
    where TConsumer : class, IConsumer
{
    readonly MessagingOptions _messaging;
    readonly string _queue;

    protected QueueConsumerDefinition(MessagingOptions messaging, string queue, int concurrentMessageLimit)
    {
        ArgumentNullException.ThrowIfNull(messaging);
        _messaging = messaging;
        _queue = queue;
        EndpointName = queue;
        ConcurrentMessageLimit = concurrentMessageLimit;
    }

    /// <summary>The queue belongs to one instance of a worker (a broadcast subscription): it expires when unused for <see cref="QueueTopology.InstanceQueueExpiry"/>.</summary>
    protected virtual bool PerInstance => false;

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator, IConsumerConfigurator<TConsumer> consumerConfigurator,
        IRegistrationContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        QueueTopology.ConfigureWorkQueue(endpointConfigurator, _queue, _messaging, PerInstance);
        context.GetService<WorkQueues>()?.Add(_queue);
        endpointConfigurator.UseNeuralTradeRetry(_messaging, _queue, context.GetService<IDeliveryAttempts>() ?? new InMemoryDeliveryAttempts());
    }
}
