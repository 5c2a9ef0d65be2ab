using System.Text;
using System.Text.Json;
using NeuralTrade.Events.Contracts;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace NeuralTrade.Events.Benchmarks;

/// <summary>
/// The load generator of the inference benchmark: a trading service that speaks the public JSON contract over AMQP
/// directly, as one written in any language would (DESIGN.md §3) — persistent messages, publisher confirms, manual acks.
/// It shares the two cores with the broker and the worker, so it does as little as a client can: each request body is
/// serialized once per window and only its ids are spliced in, and an answer is read only as far as its requestId and
/// latencyMs. (Through MassTransit the client cost about a third of the worker's per-message CPU again.)
/// </summary>
internal sealed class RawTradingClient : IAsyncDisposable
{
    /// <summary>The exchange the echo consumer (the transport bound) reads requests from instead of prediction.requested.</summary>
    public const string EchoExchange = "bench.echo";
    const string AnswersQueue = "bench-answers";
    const int Channels = 4;
    static readonly Guid RequestPlaceholder = Guid.Parse("11111111-1111-4111-8111-111111111111");
    static readonly Guid EventPlaceholder = Guid.Parse("22222222-2222-4222-8222-222222222222");

    readonly IConnection _connection;
    readonly IChannel[] _publishers;
    readonly IChannel _consumer;
    readonly Action<Guid, double?, bool> _answered;
    int _next;

    RawTradingClient(IConnection connection, IChannel[] publishers, IChannel consumer, Action<Guid, double?, bool> answered)
    {
        _connection = connection;
        _publishers = publishers;
        _consumer = consumer;
        _answered = answered;
    }

    /// <summary>Connects, declares the answers queue on prediction.completed and prediction.failed, and starts consuming it.</summary>
    /// <param name="answered">Called with each answer's requestId, its latencyMs and whether it is a failure.</param>
    public static async Task<RawTradingClient> ConnectAsync(string url, Action<Guid, double?, bool> answered)
    {
        var factory = new ConnectionFactory { Uri = new Uri(url), ClientProvidedName = "neuraltrade-benchmark-client" };
        var connection = await factory.CreateConnectionAsync();
        var publishers = new IChannel[Channels];
        for (var i = 0; i < Channels; i++)
            publishers[i] = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true,
                publisherConfirmationTrackingEnabled: true));
        var consumer = await connection.CreateChannelAsync();
        await consumer.ExchangeDeclareAsync(EchoExchange, ExchangeType.Fanout, durable: true);
        await consumer.QueueDeclareAsync(AnswersQueue, durable: true, exclusive: false, autoDelete: false);
        foreach (var exchange in new[] { Exchanges.PredictionCompleted, Exchanges.PredictionFailed })
        {
            await consumer.ExchangeDeclareAsync(exchange, ExchangeType.Fanout, durable: true);
            await consumer.QueueBindAsync(AnswersQueue, exchange, "");
        }

        await consumer.BasicQosAsync(0, 512, false);
        var client = new RawTradingClient(connection, publishers, consumer, answered);
        var receiver = new AsyncEventingBasicConsumer(consumer);
        receiver.ReceivedAsync += client.OnAnswerAsync;
        await consumer.BasicConsumeAsync(AnswersQueue, autoAck: false, receiver);
        return client;
    }

    async Task OnAnswerAsync(object sender, BasicDeliverEventArgs delivery)
    {
        var (requestId, latencyMs) = ReadAnswer(delivery.Body.Span);
        if (requestId is { } id)
            _answered(id, latencyMs, delivery.Exchange == Exchanges.PredictionFailed);
        await _consumer.BasicAckAsync(delivery.DeliveryTag, multiple: false);
    }

    /// <summary>requestId and latencyMs of an answer's top level; everything else is skipped unread.</summary>
    static (Guid? RequestId, double? LatencyMs) ReadAnswer(ReadOnlySpan<byte> body)
    {
        var reader = new Utf8JsonReader(body);
        Guid? requestId = null;
        double? latency = null;
        reader.Read();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isRequest = reader.ValueTextEquals("requestId"u8);
            var isLatency = !isRequest && reader.ValueTextEquals("latencyMs"u8);
            reader.Read();
            if (isRequest && reader.TokenType == JsonTokenType.String)
                requestId = reader.GetGuid();
            else if (isLatency && reader.TokenType == JsonTokenType.Number)
                latency = reader.GetDouble();
            else
                reader.Skip();
        }

        return (requestId, latency);
    }

    /// <summary>A request body with places for its requestId and eventId: serialized once, published many times.</summary>
    public sealed class Template
    {
        readonly byte[][] _parts;
        readonly bool _requestFirst;

        /// <summary>The body's correlationId, also the AMQP correlation_id.</summary>
        public string CorrelationId { get; }

        public Template(PredictionRequested request)
        {
            var json = JsonSerializer.SerializeToUtf8Bytes(request with { RequestId = RequestPlaceholder, EventId = EventPlaceholder }, ContractJson.Options);
            var r = json.AsSpan().IndexOf(Encoding.UTF8.GetBytes(RequestPlaceholder.ToString()));
            var e = json.AsSpan().IndexOf(Encoding.UTF8.GetBytes(EventPlaceholder.ToString()));
            if (r < 0 || e < 0)
                throw new InvalidOperationException("the request's ids are not in its JSON");
            _requestFirst = r < e;
            var (first, second) = _requestFirst ? (r, e) : (e, r);
            _parts = [json[..first], json[(first + 36)..second], json[(second + 36)..]];
            CorrelationId = request.CorrelationId.ToString();
        }

        public byte[] Body(Guid requestId, Guid eventId)
        {
            var (first, second) = _requestFirst ? (requestId, eventId) : (eventId, requestId);
            var body = new byte[_parts[0].Length + _parts[1].Length + _parts[2].Length + 72];
            var span = body.AsSpan();
            _parts[0].CopyTo(span);
            span = span[_parts[0].Length..];
            first.TryFormat(span, out _);
            span = span[36..];
            _parts[1].CopyTo(span);
            span = span[_parts[1].Length..];
            second.TryFormat(span, out _);
            span = span[36..];
            _parts[2].CopyTo(span);
            return body;
        }
    }

    /// <summary>Publishes one request (persistent, message_id = eventId) and waits for the broker's confirm.</summary>
    public async Task PublishAsync(string exchange, Template template, Guid requestId, CancellationToken cancellationToken)
    {
        var eventId = Guid.NewGuid();
        var properties = new BasicProperties
        {
            ContentType = "application/json", MessageId = eventId.ToString(), CorrelationId = template.CorrelationId, DeliveryMode = DeliveryModes.Persistent,
        };
        var channel = _publishers[(Interlocked.Increment(ref _next) & int.MaxValue) % Channels];
        await channel.BasicPublishAsync(exchange, "", mandatory: false, basicProperties: properties, body: template.Body(requestId, eventId),
            cancellationToken: cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        await _consumer.CloseAsync();
        foreach (var channel in _publishers)
            await channel.CloseAsync();
        await _connection.CloseAsync();
        _connection.Dispose();
    }
}
