using System.Security.Cryptography;
using MassTransit;

namespace NeuralTrade.Events.Messaging;

public static class MessageKeys
{
    /// <summary>
    /// A stable key for a received message: the AMQP <c>message_id</c> as the publisher set it (any string,
    /// not only a uuid), else MassTransit's message id, else the SHA-256 of the body, so that a publisher
    /// that sets no id still has its exact re-sends recognised.
    /// </summary>
    public static string Of(ConsumeContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.TryGetPayload<RabbitMqBasicConsumeContext>(out var rabbit) && !string.IsNullOrWhiteSpace(rabbit.Properties.MessageId))
            return "id-" + Sanitize(rabbit.Properties.MessageId);
        if (context.MessageId is { } id)
            return "id-" + id.ToString("N");
        return "sha256-" + Convert.ToHexStringLower(SHA256.HashData(context.ReceiveContext.Body.GetBytes()));
    }

    // Keys go into Redis key names: keep them printable and bounded.
    static string Sanitize(string id)
    {
        var clean = new string(id.Where(c => c is > ' ' and < (char)127 && c != ':').ToArray());
        return clean.Length is > 0 and <= 128 ? clean : Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(id)));
    }
}
