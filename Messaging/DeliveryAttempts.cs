using System.Collections.Concurrent;

namespace NeuralTrade.Events.Messaging;

/// <summary>
/// Counts, per queue and message, how many times its handling was started again after a delivery that never
/// finished: where a poison message (one that crashes or hangs its worker) is recognised. Must survive the worker's
/// crash, so a deployed worker keeps it in Redis; the in-memory count serves the one-process fleet and tests.
/// </summary>
public interface IDeliveryAttempts
{
    /// <summary>Records one more started attempt of a redelivered message; returns the attempts counted so far, this one included.</summary>
    Task<long> StartAsync(string queue, string messageKey, CancellationToken cancellationToken);
}

public sealed class InMemoryDeliveryAttempts : IDeliveryAttempts
{
    readonly ConcurrentDictionary<(string, string), long> _attempts = new();

    public Task<long> StartAsync(string queue, string messageKey, CancellationToken cancellationToken) =>
        Task.FromResult(_attempts.AddOrUpdate((queue, messageKey), 1, (_, n) => n + 1));
}

/// <summary>A message that was delivered again and again without its handling ever finishing: moved aside, not retried.</summary>
public sealed class PoisonMessageException(string message) : Exception(message);
