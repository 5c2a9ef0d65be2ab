using System.Text.Json;
using System.Threading.Channels;
using NeuralTrade.Events.Contracts;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using RabbitMQ.Client.Exceptions;

namespace NeuralTrade.Events.Cli;

/// <summary>
/// A plain AMQP 0-9-1 connection, as any client of the public contract has: raw JSON bodies, persistent messages,
/// publisher confirms. The tool needs nothing of MassTransit to talk to the fleet.
/// </summary>
internal sealed class BrokerSession : IBrokerSession
{
    readonly IConnection _connection;
    readonly IChannel _channel;
    readonly HashSet<string> _checkedExchanges = [];

    BrokerSession(IConnection connection, IChannel channel)
    {
        _connection = connection;
        _channel = channel;
    }

    public static async Task<BrokerSession> ConnectAsync(CliSettings settings, CancellationToken cancellationToken)
    {
        var address = settings.Broker;
        var factory = new ConnectionFactory
        {
            HostName = address.Host, Port = address.Port, VirtualHost = address.VirtualHost, UserName = address.Username, Password = address.Password,
            ClientProvidedName = $"neuraltrade-cli-{Environment.MachineName}", RequestedConnectionTimeout = TimeSpan.FromSeconds(10),
            AutomaticRecoveryEnabled = false,
        };
        if (address.UseTls)
            factory.Ssl = new SslOption { Enabled = true, ServerName = address.Host, CertificateValidationCallback = settings.CertificateValidation };
        try
        {
            var connection = await factory.CreateConnectionAsync(cancellationToken);
            var channel = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true,
                publisherConfirmationTrackingEnabled: true), cancellationToken);
            return new BrokerSession(connection, channel);
        }
        catch (BrokerUnreachableException e) when (e.InnerException is AuthenticationFailureException or PossibleAuthenticationFailureException)
        {
            throw new CliException($"RabbitMQ at {settings.RedactedBroker} refused the login of '{address.Username}' ({e.InnerException.Message})", ExitCodes.Unreachable);
        }
        catch (BrokerUnreachableException e) when (e.GetBaseException() is System.Security.Authentication.AuthenticationException tls)
        {
            throw new CliException($"RabbitMQ at {settings.RedactedBroker}: the TLS handshake failed ({tls.Message}); " +
                "if a private CA signed the broker's certificate, set RABBITMQ_CA_FILE", ExitCodes.Unreachable);
        }
        catch (BrokerUnreachableException e)
        {
            throw new CliException($"cannot reach RabbitMQ at {settings.RedactedBroker} ({e.GetBaseException().Message}); set RABBITMQ_URL", ExitCodes.Unreachable);
        }
    }

    /// <summary>Publishes a contract event to its public exchange: raw JSON, message_id = eventId, persistent, confirmed.</summary>
    public async Task PublishAsync<T>(string exchange, T message, CancellationToken cancellationToken) where T : IntegrationEvent
    {
        await DeclareExchangeAsync(exchange, cancellationToken);
        var body = JsonSerializer.SerializeToUtf8Bytes(message, ContractJson.Options);
        var properties = new BasicProperties
        {
            ContentType = "application/json", MessageId = message.EventId.ToString(), CorrelationId = message.CorrelationId.ToString(),
            DeliveryMode = DeliveryModes.Persistent, Timestamp = new AmqpTimestamp(DateTimeOffset.UtcNow.ToUnixTimeSeconds()),
        };
        await _channel.BasicPublishAsync(exchange, "", mandatory: false, properties, body, cancellationToken);
    }

    /// <summary>
    /// Makes sure a public exchange exists. A passive declare first, which needs no permission: in a deployment the
    /// broker's definitions declare every public exchange, and the operator and clients of the contract have no
    /// configure right on them. Only where one is missing (a development broker before a worker declared it) is it
    /// declared, as the contract's durable fanout; a user without that right gets an error that says why.
    /// </summary>
    async Task DeclareExchangeAsync(string exchange, CancellationToken cancellationToken)
    {
        if (_checkedExchanges.Contains(exchange))
            return;
        // A failed declare closes its channel: use a channel of its own.
        await using var channel = await _connection.CreateChannelAsync(cancellationToken: cancellationToken);
        try
        {
            await channel.ExchangeDeclarePassiveAsync(exchange, cancellationToken);
        }
        catch (OperationInterruptedException e) when (e.ShutdownReason?.ReplyCode == 404)
        {
            await using var declaring = await _connection.CreateChannelAsync(cancellationToken: cancellationToken);
            try
            {
                await declaring.ExchangeDeclareAsync(exchange, ExchangeType.Fanout, durable: true, autoDelete: false, cancellationToken: cancellationToken);
            }
            catch (OperationInterruptedException refused) when (refused.ShutdownReason?.ReplyCode == 403)
            {
                throw new CliException($"there is no exchange '{exchange}' on {_connection.Endpoint.HostName}, and this user may not declare it: " +
                    "load the broker's definitions (deploy/rabbitmq), which declare every public exchange");
            }
        }

        _checkedExchanges.Add(exchange);
    }

    /// <summary>A private, self-deleting queue bound to the given exchanges; bind it before publishing what they answer.</summary>
    public async Task<ChannelReader<BrokerMessage>> ListenAsync(IEnumerable<string> exchanges, CancellationToken cancellationToken)
    {
        var queue = await _channel.QueueDeclareAsync("", durable: false, exclusive: true, autoDelete: true, cancellationToken: cancellationToken);
        foreach (var exchange in exchanges)
        {
            await DeclareExchangeAsync(exchange, cancellationToken);
            await _channel.QueueBindAsync(queue.QueueName, exchange, "", cancellationToken: cancellationToken);
        }

        var received = Channel.CreateUnbounded<BrokerMessage>();
        var consumer = new AsyncEventingBasicConsumer(_channel);
        consumer.ReceivedAsync += (_, e) =>
        {
            received.Writer.TryWrite(new BrokerMessage(e.DeliveryTag, e.Exchange, e.RoutingKey, e.Body.ToArray(), e.BasicProperties));
            return Task.CompletedTask;
        };
        await _channel.BasicConsumeAsync(queue.QueueName, autoAck: true, consumer, cancellationToken);
        return received.Reader;
    }

    /// <summary>
    /// Opens a channel for reading a queue message by message (basic.get, manual acks): what is not acked goes back to
    /// the queue, in its place, when the reader is disposed.
    /// </summary>
    public async Task<IQueueReader> OpenQueueAsync(string queue, CancellationToken cancellationToken)
    {
        var channel = await _connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true,
            publisherConfirmationTrackingEnabled: true), cancellationToken);
        try
        {
            var declared = await channel.QueueDeclarePassiveAsync(queue, cancellationToken);
            return new QueueReader(channel, queue, declared.MessageCount);
        }
        catch (OperationInterruptedException e) when (e.ShutdownReason?.ReplyCode == 404)
        {
            await channel.DisposeAsync();
            throw new CliException($"there is no queue '{queue}' on {_connection.Endpoint.HostName} (vhost of RABBITMQ_URL)");
        }
    }

    /// <summary>Ready messages and consumers of a queue as the broker counts them now (passive declare); null when there is no such queue.</summary>
    public async Task<(uint Ready, uint Consumers)?> CountAsync(string queue, CancellationToken cancellationToken)
    {
        // A passive declare of a missing queue closes its channel: use a channel of its own.
        await using var channel = await _connection.CreateChannelAsync(cancellationToken: cancellationToken);
        try
        {
            var declared = await channel.QueueDeclarePassiveAsync(queue, cancellationToken);
            return (declared.MessageCount, declared.ConsumerCount);
        }
        catch (OperationInterruptedException e) when (e.ShutdownReason?.ReplyCode == 404)
        {
            return null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _channel.DisposeAsync();
        await _connection.DisposeAsync();
    }
}
