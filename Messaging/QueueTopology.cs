using MassTransit;

namespace NeuralTrade.Events.Messaging;

/// <summary>
/// How every queue of the fleet is declared on RabbitMQ, in one place: the same arguments are written in the broker
/// definitions (deploy/rabbitmq/definitions.template.json), and a test compares the two.
/// </summary>
public static class QueueTopology
{
    public const string QueueType = "x-queue-type";
    public const string DeliveryLimit = "x-delivery-limit";
    public const string DeadLetterExchange = "x-dead-letter-exchange";
    public const string DeadLetterStrategy = "x-dead-letter-strategy";
    public const string Overflow = "x-overflow";
    public const string Expires = "x-expires";

    /// <summary>How long a per-instance queue (an Inference instance's <c>model.deployed</c> queue) lives unused: 7 days.</summary>
    public static readonly TimeSpan InstanceQueueExpiry = TimeSpan.FromDays(7);

    /// <summary>
    /// The arguments of a work queue: a quorum queue (replicated, confirmed once a majority holds a message) whose
    /// messages are dead-lettered by the broker to <c>&lt;queue&gt;_error</c> after <paramref name="deliveryLimit"/>
    /// returns, at least once (kept in the queue until the dead-letter queue takes them, which needs
    /// <c>reject-publish</c> overflow).
    /// </summary>
    public static IReadOnlyDictionary<string, object> WorkQueueArguments(string queue, int deliveryLimit) => new Dictionary<string, object>
    {
        [QueueType] = "quorum",
        [DeliveryLimit] = deliveryLimit,
        [DeadLetterExchange] = ErrorQueue(queue),
        [DeadLetterStrategy] = "at-least-once",
        [Overflow] = "reject-publish",
    };

    /// <summary>The arguments of a dead-letter queue (<c>_error</c>, <c>_skipped</c>): a quorum queue, nothing else; its size limit is a policy.</summary>
    public static IReadOnlyDictionary<string, object> DeadLetterQueueArguments { get; } = new Dictionary<string, object> { [QueueType] = "quorum" };

    public static string ErrorQueue(string queue) => queue + "_error";

    public static string SkippedQueue(string queue) => queue + "_skipped";

    /// <summary>Declares <paramref name="endpoint"/>'s queue as a work queue (RabbitMQ only; other transports have no such arguments).</summary>
    public static void ConfigureWorkQueue(IReceiveEndpointConfigurator endpoint, string queue, MessagingOptions options, bool perInstance = false)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (endpoint is not IRabbitMqReceiveEndpointConfigurator rabbit)
            return;
        rabbit.SetQuorumQueue();
        foreach (var (key, value) in WorkQueueArguments(queue, options.DeliveryLimit))
            rabbit.SetQueueArgument(key, value);
        if (perInstance)
            rabbit.SetQueueArgument(Expires, (long)InstanceQueueExpiry.TotalMilliseconds);
    }

    /// <summary>
    /// MassTransit declares <c>_error</c> and <c>_skipped</c> with the arguments of the queue they serve; a dead-letter
    /// queue must not dead-letter to itself, count deliveries or expire: only its type is kept.
    /// </summary>
    public static void ConfigureDeadLetterQueues(IRabbitMqBusFactoryConfigurator cfg)
    {
        ArgumentNullException.ThrowIfNull(cfg);
        cfg.SendTopology.ConfigureErrorSettings = StripToType;
        cfg.SendTopology.ConfigureDeadLetterSettings = StripToType;
    }

    static void StripToType(IRabbitMqQueueBindingConfigurator settings)
    {
        foreach (var key in new[] { DeliveryLimit, DeadLetterExchange, DeadLetterStrategy, Overflow, Expires })
            settings.SetQueueArgument(key, null!);
        settings.SetQueueArgument(QueueType, "quorum");
    }
}
