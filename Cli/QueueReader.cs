using RabbitMQ.Client;

namespace NeuralTrade.Events.Cli;

/// <summary>Reads one queue with basic.get; acks only what it was told to, and returns the rest on dispose.</summary>
internal sealed class QueueReader(IChannel channel, string queue, uint messageCount) : IAsyncDisposable
{
    public string Queue => queue;

    /// <summary>Messages in the queue when it was opened.</summary>
    public uint MessageCount => messageCount;

    public async Task<BrokerMessage?> NextAsync(CancellationToken cancellationToken)
    {
        var result = await channel.BasicGetAsync(queue, autoAck: false, cancellationToken);
        return result is null ? null : new BrokerMessage(result.DeliveryTag, result.Exchange, result.RoutingKey, result.Body.ToArray(), result.BasicProperties);
    }

    public Task AckAsync(BrokerMessage message, CancellationToken cancellationToken) =>
        channel.BasicAckAsync(message.DeliveryTag, multiple: false, cancellationToken).AsTask();

    /// <summary>Sends a copy of <paramref name="message"/> to <paramref name="targetQueue"/> (default exchange), confirmed, without the fault headers.</summary>
    public async Task SendCopyAsync(BrokerMessage message, string targetQueue, CancellationToken cancellationToken)
    {
        var p = message.Properties;
        var headers = p.Headers?.Where(h => !h.Key.StartsWith("MT-Fault-", StringComparison.Ordinal) && h.Key != "MT-Reason")
            .ToDictionary(h => h.Key, h => h.Value);
        var properties = new BasicProperties
        {
            ContentType = p.ContentType, ContentEncoding = p.ContentEncoding, MessageId = p.MessageId, CorrelationId = p.CorrelationId,
            Type = p.Type, Timestamp = p.Timestamp, DeliveryMode = DeliveryModes.Persistent, Headers = headers,
        };
        await channel.BasicPublishAsync("", targetQueue, mandatory: true, properties, message.Body, cancellationToken);
    }

    public async Task PurgeAsync(CancellationToken cancellationToken) => await channel.QueuePurgeAsync(queue, cancellationToken);

    public async ValueTask DisposeAsync()
    {
        // Closing the channel hands every unacked message back to the queue.
        await channel.CloseAsync();
        await channel.DisposeAsync();
    }
}
