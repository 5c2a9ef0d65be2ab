namespace NeuralTrade.Events.Messaging;

/// <summary>
/// The message itself is wrong (not the contract's shape, out of its limits). Retrying cannot help:
/// it goes straight to the queue's <c>_error</c> dead-letter queue with this message as the reason.
/// </summary>
public sealed class InvalidMessageException : Exception
{
    public InvalidMessageException(string message) : base(message) { }

    public InvalidMessageException(string message, Exception innerException) : base(message, innerException) { }

    public InvalidMessageException() { }
}
