using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace NeuralTrade.Events.IntegrationTests;

/// <summary>One message as a plain AMQP 0-9-1 client sees it.</summary>
public sealed record Delivery(string Exchange, string Body, IReadOnlyBasicProperties Properties)
{
    public JsonElement Json => JsonDocument.Parse(Body).RootElement;

    public string? Header(string name) => Properties.Headers is { } h && h.TryGetValue(name, out var v)
        ? v switch { byte[] b => Encoding.UTF8.GetString(b), null => null, _ => v.ToString() }
        : null;
}

/// <summary>
/// A client that knows nothing of MassTransit, only the README's wire contract, as a Python (pika) or Go
/// feed would be: it publishes raw JSON to the public exchanges and reads them through its own queues.
/// </summary>
public sealed class RawAmqp : IAsyncDisposable
{
    readonly IConnection _connection;
    readonly IChannel _channel;

    RawAmqp(IConnection connection, IChannel channel)
    {
        _connection = connection;
        _channel = channel;
    }

    public const string ClientName = "integration-test-feed";

    public static async Task<RawAmqp> ConnectAsync(string url)
    {
        var connection = await new ConnectionFactory { Uri = new Uri(url), ClientProvidedName = ClientName }.CreateConnectionAsync();
        var channel = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true,
            publisherConfirmationTrackingEnabled: true));
        return new RawAmqp(connection, channel);
    }

    public async Task PublishAsync(string exchange, string body, string? messageId = null, string? contentType = "application/json",
        IDictionary<string, object?>? headers = null)
    {
        var properties = new BasicProperties
        {
            ContentType = contentType,
            MessageId = messageId,
            DeliveryMode = DeliveryModes.Persistent,
            Headers = headers,
        };
        await _channel.BasicPublishAsync(exchange, "", mandatory: false, basicProperties: properties, body: Encoding.UTF8.GetBytes(body));
    }

    /// <summary>Publishes any bytes (a fuzzed body), persistent and confirmed, as a feed's client library would.</summary>
    public async Task PublishBytesAsync(string exchange, byte[] body, string messageId)
    {
        var properties = new BasicProperties { ContentType = "application/json", MessageId = messageId, DeliveryMode = DeliveryModes.Persistent };
        await _channel.BasicPublishAsync(exchange, "", mandatory: false, basicProperties: properties, body: body);
    }

    /// <summary>Binds a private queue to a public fanout exchange and collects what arrives.</summary>
    public Task<Tap> TapAsync(string exchange) => TapAsync(exchange, ExchangeType.Fanout, null);

    /// <summary>
    /// Binds a private queue to a public exchange of <paramref name="type"/> with the binding's
    /// <paramref name="arguments"/> (for a headers exchange: <c>x-match</c> and the headers wanted) and collects what arrives.
    /// </summary>
    public async Task<Tap> TapAsync(string exchange, string type, IDictionary<string, object?>? arguments)
    {
        await _channel.ExchangeDeclareAsync(exchange, type, durable: true);
        var queue = await _channel.QueueDeclareAsync("", durable: false, exclusive: true, autoDelete: true);
        await _channel.QueueBindAsync(queue.QueueName, exchange, "", arguments);
        var tap = new Tap(exchange);
        var consumer = new AsyncEventingBasicConsumer(_channel);
        consumer.ReceivedAsync += (_, e) =>
        {
            tap.Add(new Delivery(exchange, Encoding.UTF8.GetString(e.Body.Span), e.BasicProperties));
            return Task.CompletedTask;
        };
        await _channel.BasicConsumeAsync(queue.QueueName, autoAck: true, consumer);
        return tap;
    }

    /// <summary>Takes every message now in a queue (e.g. a dead-letter queue).</summary>
    public async Task<List<Delivery>> DrainAsync(string queue)
    {
        var result = new List<Delivery>();
        // MassTransit creates a dead-letter queue with its first letter; asking a missing queue would close our channel.
        await using (var probe = await _connection.CreateChannelAsync())
        {
            try
            {
                await probe.QueueDeclarePassiveAsync(queue);
            }
            catch (RabbitMQ.Client.Exceptions.OperationInterruptedException)
            {
                return result;
            }
        }

        while (await _channel.BasicGetAsync(queue, autoAck: true) is { } message)
            result.Add(new Delivery(message.Exchange, Encoding.UTF8.GetString(message.Body.Span), message.BasicProperties));
        return result;
    }

    public async ValueTask DisposeAsync()
    {
        await _channel.DisposeAsync();
        await _connection.DisposeAsync();
    }
}

public sealed class Tap(string exchange)
{
    readonly ConcurrentQueue<Delivery> _received = new();

    public string Exchange => exchange;
    public IReadOnlyList<Delivery> Received => [.. _received];

    internal void Add(Delivery delivery) => _received.Enqueue(delivery);

    /// <summary>Waits until <paramref name="condition"/> holds for what arrived, or fails the test after <paramref name="timeout"/>.</summary>
    public async Task<IReadOnlyList<Delivery>> WaitAsync(Func<IReadOnlyList<Delivery>, bool> condition, TimeSpan? timeout = null, string? what = null)
    {
        var until = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        while (!condition(Received))
        {
            if (DateTime.UtcNow > until)
                Assert.Fail($"timed out waiting on {exchange} for {what ?? "the expected messages"}; received {Received.Count}");
            await Task.Delay(25);
        }

        return Received;
    }

    public Task<IReadOnlyList<Delivery>> WaitForCountAsync(int count, TimeSpan? timeout = null) =>
        WaitAsync(r => r.Count >= count, timeout, $"{count} message(s)");
}
