namespace NeuralTrade.Events.Stores;

/// <summary>
/// The monitor's shared state: rolling windows keyed by time (one entry per time; writing a time again replaces it, so a
/// redelivered message changes nothing), small state hashes, and a lock per series. In Redis every Monitor instance, and
/// a restarted one, sees the same windows.
/// </summary>
public interface IMonitorStore
{
    /// <summary>Adds or replaces entries by time, then keeps only the newest <paramref name="capacity"/>.</summary>
    Task AppendAsync(string window, IReadOnlyList<WindowEntry> entries, int capacity, CancellationToken cancellationToken = default);

    /// <summary>The newest <paramref name="count"/> entries, oldest first.</summary>
    Task<IReadOnlyList<WindowEntry>> ReadAsync(string window, int count, CancellationToken cancellationToken = default);

    Task<IReadOnlyDictionary<string, string>> ReadStateAsync(string key, CancellationToken cancellationToken = default);

    Task WriteStateAsync(string key, IReadOnlyDictionary<string, string> fields, CancellationToken cancellationToken = default);

    /// <summary>A lease-bound lock, or null when another holder has it.</summary>
    Task<IAsyncDisposable?> TryLockAsync(string key, TimeSpan lease, CancellationToken cancellationToken = default);
}
