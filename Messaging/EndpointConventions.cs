using System.Runtime.Serialization;
using System.Text.Json;
using MassTransit;

namespace NeuralTrade.Events.Messaging;

public static class EndpointConventions
{
    /// <summary>
    /// Retries a failing message at the configured intervals, then MassTransit moves it to <c>&lt;queue&gt;_error</c>
    /// with the exception and its stack in headers. Bad input is never retried.
    /// </summary>
    public static void UseNeuralTradeRetry(this IReceiveEndpointConfigurator endpoint, MessagingOptions options, string queue, IDeliveryAttempts attempts)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentNullException.ThrowIfNull(options);
        // Outer: a store that is down (Redis unreachable or timing out) is waited out with exponential backoff for up
        // to OutageRetrySeconds (Polly), holding the message unacknowledged (a crash meanwhile redelivers it), instead of
        // dead-lettering good messages during an outage. The worker's ready check says Unhealthy meanwhile.
        if (options.OutageRetrySeconds > 0)
            endpoint.UseFilter(new OutageRetryFilter(options.OutageRetrySeconds));

        // Then: a message whose handling was started PoisonAttempts times without finishing is moved aside, never run again.
        endpoint.UseFilter(new PoisonMessageFilter(queue, options.PoisonAttempts, attempts));

        // Inner: any other failure is retried at the configured intervals, then dead-lettered; bad input never is.
        endpoint.UseMessageRetry(r =>
        {
            var intervals = options.RetryIntervals();
            if (intervals.Length == 0)
                r.None();
            else
                r.Intervals(intervals);
            r.Ignore<InvalidMessageException>();
            r.Ignore<PoisonMessageException>();
            r.Ignore<JsonException>();
            r.Ignore<SerializationException>();
        });
    }

    /// <summary>Attempts of 1 s doubling to at most 30 s whose delays add up to <paramref name="seconds"/> or more.</summary>
    internal static (int Attempts, TimeSpan First, TimeSpan Most) OutageSchedule(int seconds)
    {
        var first = TimeSpan.FromSeconds(1);
        var most = TimeSpan.FromSeconds(30);
        var total = TimeSpan.Zero;
        var attempts = 0;
        for (var delay = first; total < TimeSpan.FromSeconds(seconds); attempts++)
        {
            total += delay;
            delay = delay * 2 > most ? most : delay * 2;
        }

        return (attempts, first, most);
    }
}
