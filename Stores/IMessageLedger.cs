namespace NeuralTrade.Events.Stores;

/// <summary>
/// Remembers which messages a consumer has finished, so that a redelivered or duplicated message is
/// acknowledged without doing its work (and announcing it) a second time.
/// </summary>
public interface IMessageLedger
{
    Task<bool> IsCompletedAsync(string consumer, string messageKey, CancellationToken cancellationToken = default);

    Task MarkCompletedAsync(string consumer, string messageKey, CancellationToken cancellationToken = default);
}
