using System.Runtime.Serialization;
using System.Text.Json;
using MassTransit;

namespace NeuralTrade.Events.Hosting;

public static class EndpointConventions
{
    /// <summary>
    /// Retries a failing message at the configured intervals, then MassTransit moves it to <c>&lt;queue&gt;_error</c>
    /// with the exception and its stack in headers. Bad input is never retried.
    /// </summary>
    public static void UseNeuralTradeRetry(this IReceiveEndpointConfigurator endpoint, MessagingOptions options)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentNullException.ThrowIfNull(options);
        endpoint.UseMessageRetry(r =>
        {
            var intervals = options.RetryIntervals();
            if (intervals.Length == 0)
                r.None();
            else
                r.Intervals(intervals);
            r.Ignore<InvalidMessageException>();
            r.Ignore<JsonException>();
            r.Ignore<SerializationException>();
        });
    }
}

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
