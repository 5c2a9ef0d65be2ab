using System.Text.Json.Serialization;

namespace NeuralTrade.Events.Contracts;

/// <summary>
/// Identity and time carried by every public message body. The same ids travel on the AMQP
/// properties <c>message_id</c> (<see cref="EventId"/>) and <c>correlation_id</c> (<see cref="CorrelationId"/>).
/// </summary>
public abstract record IntegrationEvent
{
    /// <summary>Unique id of this message; consumers use it to drop duplicates.</summary>
    [JsonPropertyOrder(-4)]
    public Guid EventId { get; init; } = Guid.NewGuid();

    /// <summary>When the event happened, UTC.</summary>
    [JsonPropertyOrder(-3)]
    public DateTimeOffset OccurredAt { get; init; } = DateTimeOffset.UtcNow;

    /// <summary>Carried unchanged from the message that caused this one; a new id starts a new conversation.</summary>
    [JsonPropertyOrder(-2)]
    public Guid CorrelationId { get; init; } = Guid.NewGuid();

    /// <summary>Version of this body's shape. Additive changes keep it; a breaking change gets a new number.</summary>
    [JsonPropertyOrder(-1)]
    public int SchemaVersion { get; init; } = 1;
}

/// <summary>Names the durable fanout exchange a contract is published to.</summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class ExchangeAttribute(string name) : Attribute
{
    /// <summary>The exchange name, e.g. <c>data.ingested</c>.</summary>
    public string Name { get; } = name;
}
