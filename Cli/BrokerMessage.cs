using System.Text;
using System.Text.Json;
using RabbitMQ.Client;

namespace NeuralTrade.Events.Cli;

/// <summary>One message as the broker holds it.</summary>
internal sealed record BrokerMessage(ulong DeliveryTag, string Exchange, string RoutingKey, ReadOnlyMemory<byte> Body, IReadOnlyBasicProperties Properties)
{
    public string Text => Encoding.UTF8.GetString(Body.Span);

    public string? Header(string name) => Properties.Headers is { } h && h.TryGetValue(name, out var v)
        ? v switch
        {
            byte[] b => Encoding.UTF8.GetString(b),
            null => null,
            AmqpTimestamp t => DateTimeOffset.FromUnixTimeSeconds(t.UnixTime).ToString("O"),
            _ => Convert.ToString(v, System.Globalization.CultureInfo.InvariantCulture),
        }
        : null;

    /// <summary>The body as JSON, or null when it is not JSON (a poison message).</summary>
    public JsonElement? Json
    {
        get
        {
            try
            {
                return JsonDocument.Parse(Body).RootElement;
            }
            catch (JsonException)
            {
                return null;
            }
        }
    }
}
