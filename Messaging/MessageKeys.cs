using System.Security.Cryptography;
using System.Text;
using MassTransit;

namespace NeuralTrade.Events.Messaging;

public static class MessageKeys
{
    /// <summary>
    /// A stable key for a received message, for replay detection and the ids of the events it causes: the SHA-256 of
    /// the publisher's broker user (the AMQP <c>user_id</c>, which RabbitMQ refuses unless it names the connection's
    /// own user; empty when the publisher sets none) and the exact body. A re-sent body is recognised whatever ids it
    /// carries, and no publisher can have another's batch ignored by reusing its <c>message_id</c>: a key can only
    /// collide with the same user sending the same bytes.
    /// </summary>
    public static string Of(ConsumeContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var user = context.TryGetPayload<RabbitMqBasicConsumeContext>(out var rabbit) ? rabbit.Properties.UserId ?? "" : "";
        return Of(user, context.ReceiveContext.Body.GetBytes());
    }

    /// <summary>The key of <paramref name="body"/> as published by broker user <paramref name="user"/> (empty: none given).</summary>
    public static string Of(string user, ReadOnlySpan<byte> body)
    {
        ArgumentNullException.ThrowIfNull(user);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Encoding.UTF8.GetBytes(user));
        hash.AppendData([0]);
        hash.AppendData(body);
        return "sha256-" + Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}
