using System.Security.Cryptography;
using System.Text;
using MassTransit;

namespace NeuralTrade.Events.Messaging;

public static class MessageKeys
{
    /// <summary>
    /// A stable key for a received message, for replay detection and the ids of the events it causes: the SHA-256 of
    /// the publisher's broker user (the AMQP <c>user_id</c>, which RabbitMQ refuses unless it names the connection's own
    /// user; empty when the publisher sets none), the message id as sent (AMQP <c>message_id</c>, else MassTransit's;
    /// empty when none) and the exact body. A redelivery or a re-send of the same message is recognised; no publisher
    /// can have another's batch ignored by reusing its <c>message_id</c>, nor lose a batch of its own by reusing an id
    /// with another body.
    /// </summary>
    public static string Of(ConsumeContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var rabbit = context.TryGetPayload<RabbitMqBasicConsumeContext>(out var basic) ? basic : null;
        var messageId = rabbit?.Properties.MessageId is { Length: > 0 } id ? id : context.MessageId?.ToString("N") ?? "";
        return Of(rabbit?.Properties.UserId ?? "", messageId, context.ReceiveContext.Body.GetBytes());
    }

    /// <summary>The key of <paramref name="body"/> sent as <paramref name="messageId"/> by broker user <paramref name="user"/> (empty: none given).</summary>
    public static string Of(string user, string messageId, ReadOnlySpan<byte> body)
    {
        ArgumentNullException.ThrowIfNull(user);
        ArgumentNullException.ThrowIfNull(messageId);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var part in new[] { user, messageId })
        {
            var bytes = Encoding.UTF8.GetBytes(part);
            hash.AppendData(BitConverter.GetBytes(bytes.Length)); // length-prefixed: no two (user, id) pairs hash alike
            hash.AppendData(bytes);
        }

        hash.AppendData(body);
        return "sha256-" + Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}
