using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace NeuralTrade.Events.Cli;

/// <summary>Reads one queue with basic.get; acks only what it was told to, and returns the rest on dispose.</summary>
internal sealed class QueueReader(IChannel channel, string queue, uint messageCount) : IQueueReader
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

    /// <summary>
    /// Sends a copy of <paramref name="message"/> to <paramref name="targetQueue"/>, confirmed and mandatory, without the
    /// fault headers. It goes through the exchange named after the queue (MassTransit binds one to each of its queues),
    /// not the default exchange: the broker then grants a replay only to a user that may write that queue's exchange,
    /// which the definitions give the operator for the queues whose input it may publish anyway.
    /// </summary>
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
        try
        {
            await channel.BasicPublishAsync(targetQueue, "", mandatory: true, properties, message.Body, cancellationToken);
        }
        catch (OperationInterruptedException e) when (e.ShutdownReason?.ReplyCode == 403)
        {
            throw new CliException($"the broker refused to replay into '{targetQueue}' ({e.ShutdownReason.ReplyText}): the operator may replay " +
                "only into queues whose input it may publish itself (ingest, training, registry-promote, registry-rollback, inference); " +
                "the others take only what workers publish, and replaying into them takes the admin user. Nothing was removed.", ExitCodes.Failed);
        }
        catch (OperationInterruptedException e) when (e.ShutdownReason?.ReplyCode == 404)
        {
            throw new CliException($"there is no exchange '{targetQueue}' (MassTransit declares one per queue when its worker starts): " +
                "start the worker once, then replay. Nothing was removed.", ExitCodes.Failed);
        }
        catch (PublishException e) when (e.IsReturn)
        {
            throw new CliException($"the copy was not routed to '{targetQueue}' (its exchange has no binding to the queue). Nothing was removed.", ExitCodes.Failed);
        }
    }

    public async Task PurgeAsync(CancellationToken cancellationToken) => await channel.QueuePurgeAsync(queue, cancellationToken);

    public async ValueTask DisposeAsync()
    {
        // Closing the channel hands every unacked message back to the queue.
        await channel.CloseAsync();
        await channel.DisposeAsync();
    }
}
