using Microsoft.Extensions.Logging;

namespace NeuralTrade.Events.Client;

/// <summary>The client's log lines. None of them names a password: the broker is written as amqp://user@host:port/vhost.</summary>
internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Information, "Connected to {Broker} as client {ClientName}")]
    public static partial void Connected(ILogger logger, string broker, string clientName);

    [LoggerMessage(2, LogLevel.Warning, "The connection to {Broker} was lost ({ReplyCode} {ReplyText}); recovering every {RecoveryInterval}. Predictions published to a subscription's queue meanwhile are lost; waiting prediction requests fail")]
    public static partial void ConnectionLost(ILogger logger, string broker, ushort replyCode, string replyText, TimeSpan recoveryInterval);

    [LoggerMessage(3, LogLevel.Information, "The connection to {Broker} is recovered: queues, bindings and consumers re-declared")]
    public static partial void ConnectionRecovered(ILogger logger, string broker);

    [LoggerMessage(4, LogLevel.Warning, "Recovering the connection to {Broker} failed; trying again")]
    public static partial void RecoveryFailed(ILogger logger, Exception exception, string broker);

    [LoggerMessage(5, LogLevel.Warning, "Dropped a message from {Exchange} in queue {Queue} ({BodyBytes} bytes): {Reason}")]
    public static partial void MessageRefused(ILogger logger, string exchange, string queue, long bodyBytes, string reason);

    [LoggerMessage(6, LogLevel.Error, "The handler of subscription {Queue} ({Filter}) threw; the subscription stops")]
    public static partial void SubscriptionHandlerFailed(ILogger logger, Exception exception, string queue, string filter);

    [LoggerMessage(7, LogLevel.Warning, "A callback of the client ({Callback}) threw; the client goes on")]
    public static partial void CallbackFailed(ILogger logger, Exception exception, string callback);

    [LoggerMessage(8, LogLevel.Information, "Subscribed {Queue} to {Exchange} for {Filter}")]
    public static partial void Subscribed(ILogger logger, string queue, string exchange, string filter);
}
