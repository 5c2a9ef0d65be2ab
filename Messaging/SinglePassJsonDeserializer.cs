using System.Net.Mime;
using System.Text.Json;
using System.Text.Json.Nodes;
using MassTransit;
using MassTransit.Serialization;

namespace NeuralTrade.Events.Messaging;

/// <summary>
/// MassTransit's raw JSON deserializer (<c>application/json</c>, no envelope), reading each body once. MassTransit's own
/// parses the body into a <see cref="JsonElement"/> (a document and a copy of the bytes) and then deserializes the
/// message from that element: two passes over every body, which on a 28 KB prediction request with 160 candles is a
/// large part of the consumer's CPU. This one checks the body is a JSON object or array with a forward-only reader (no
/// allocation) and deserializes the message straight from the body's bytes; the element is made only when something
/// asks for it (forwarding, redelivery, a <see cref="JsonObject"/>). Any other body (empty, null, a scalar, not JSON)
/// goes to MassTransit's deserializer, so what a consumer sees, and what a bad body gets (a
/// <see cref="System.Runtime.Serialization.SerializationException"/>: MassTransit moves it to the error queue with the reason), are the same.
/// </summary>
public sealed class SinglePassJsonDeserializer(RawSerializerOptions options) : IMessageDeserializer
{
    readonly SystemTextJsonRawMessageSerializer _massTransits = new(options);

    public ContentType ContentType => SystemTextJsonRawMessageSerializer.JsonContentType;

    public void Probe(ProbeContext context)
    {
        var scope = context.CreateScope("json");
        scope.Add("contentType", ContentType.MediaType);
        scope.Add("provider", "System.Text.Json (raw, single pass)");
    }

    public ConsumeContext Deserialize(ReceiveContext receiveContext)
    {
        ArgumentNullException.ThrowIfNull(receiveContext);
        return new BodyConsumeContext(receiveContext, Deserialize(receiveContext.Body, receiveContext.TransportHeaders, receiveContext.InputAddress));
    }

    public SerializerContext Deserialize(MessageBody body, Headers headers, Uri? destinationAddress = null)
    {
        ArgumentNullException.ThrowIfNull(body);
        var bytes = body.GetBytes();
        // An empty body, a JSON null or a body that is not JSON: MassTransit's own deserializer, which refuses or reads
        // it exactly as before (these are rare, and cost what they always cost).
        if (!IsObjectOrArray(bytes))
            return _massTransits.Deserialize(body, headers, destinationAddress);
        return new Context(bytes, new RawMessageContext(headers, destinationAddress, options), headers.GetMessageTypes(), options);
    }

    public MessageBody GetMessageBody(string text) => new StringMessageBody(text);

    /// <summary>Whether the body is one JSON object or array, read with a forward-only reader (nothing allocated).</summary>
    static bool IsObjectOrArray(ReadOnlySpan<byte> bytes)
    {
        var reader = new Utf8JsonReader(bytes, new JsonReaderOptions
        {
            CommentHandling = Options.ReadCommentHandling, AllowTrailingCommas = Options.AllowTrailingCommas, MaxDepth = Options.MaxDepth,
        });
        try
        {
            if (!reader.Read() || reader.TokenType is not (JsonTokenType.StartObject or JsonTokenType.StartArray))
                return false;
            reader.Skip();
            // One value only: anything after it but whitespace is an error to report as MassTransit reports it.
            return !reader.Read();
        }
        catch (JsonException)
        {
            return false;
        }
    }

    static JsonSerializerOptions Options => SystemTextJsonMessageSerializer.Options;

    /// <summary>The raw serializer context over the body's bytes; its element is parsed on first use only.</summary>
    sealed class Context : SystemTextJsonRawSerializerContext
    {
        readonly byte[] _bytes;
        readonly RawSerializerOptions _rawOptions;
        JsonElement? _element;

        public Context(byte[] bytes, MessageContext messageContext, string[] messageTypes, RawSerializerOptions rawOptions)
            : base(SystemTextJsonMessageSerializer.Instance, SystemTextJsonMessageSerializer.Options, SystemTextJsonRawMessageSerializer.JsonContentType,
                messageContext, messageTypes, rawOptions, default)
        {
            _bytes = bytes;
            _rawOptions = rawOptions;
        }

        JsonElement Element => _element ??= JsonSerializer.Deserialize<JsonElement>(_bytes, Options);

        public override bool TryGetMessage<T>(out T? message)
            where T : class
        {
            if (typeof(T) == typeof(JsonObject))
            {
                message = JsonObject.Create(Element) as T;
                return message != null;
            }

            if (IsSupportedMessageType<T>())
            {
                message = JsonSerializer.Deserialize<T>(_bytes, Options);
                return message != null;
            }

            message = null;
            return false;
        }

        public override bool TryGetMessage(Type messageType, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out object? message)
        {
            message = JsonSerializer.Deserialize(_bytes, messageType, Options);
            return message != null;
        }

        public override IMessageSerializer GetMessageSerializer() =>
            new SystemTextJsonBodyMessageSerializer(Element, ContentType, Options, _rawOptions);

        public override IMessageSerializer GetMessageSerializer(object message, string[] messageTypes)
        {
            ArgumentNullException.ThrowIfNull(message);
            return new SystemTextJsonBodyMessageSerializer(message, ContentType, Options, _rawOptions);
        }

        public override IMessageSerializer GetMessageSerializer<T>(MessageEnvelope envelope, T message)
        {
            var serializer = new SystemTextJsonBodyMessageSerializer(envelope, ContentType, Options, _rawOptions);
            serializer.Overlay(message);
            return serializer;
        }
    }

    /// <summary>Registers it as the bus's deserializer of <c>application/json</c>.</summary>
    public sealed class Factory(RawSerializerOptions options) : ISerializerFactory
    {
        readonly SinglePassJsonDeserializer _deserializer = new(options);

        public ContentType ContentType => SystemTextJsonRawMessageSerializer.JsonContentType;

        public IMessageSerializer CreateSerializer() => new SystemTextJsonRawMessageSerializer(options);

        public IMessageDeserializer CreateDeserializer() => _deserializer;
    }
}
