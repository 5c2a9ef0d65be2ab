using System.Collections.Concurrent;
using NeuralTrade.Events.Contracts;

namespace NeuralTrade.Events.Client;

/// <summary>
/// A batch of candles the broker has confirmed (it holds the message persistently). Ingest stores the valid candles and
/// announces the refused ones, with their reasons, in one <c>data.rejected</c> whose <c>correlationId</c> is
/// <see cref="BatchId"/>: <see cref="WaitForRejectionAsync"/> waits for it.
/// </summary>
public sealed class CandleBatchReceipt
{
    readonly RejectionTracker? _tracker;

    internal CandleBatchReceipt(Guid batchId, int candleCount, int bodyBytes, RejectionTracker? tracker)
    {
        BatchId = batchId;
        CandleCount = candleCount;
        BodyBytes = bodyBytes;
        _tracker = tracker;
    }

    /// <summary>The batch's id: the AMQP <c>message_id</c> and the body's <c>eventId</c> and <c>correlationId</c>. Re-send the same candles with it to make the re-send a no-op.</summary>
    public Guid BatchId { get; }

    /// <summary>Candles in the batch.</summary>
    public int CandleCount { get; }

    /// <summary>Size of the published body.</summary>
    public int BodyBytes { get; }

    /// <summary>
    /// Ingest's <c>data.rejected</c> for this batch, or null when none came within <paramref name="within"/>. Null is
    /// not proof that every candle was stored (Ingest may be down or behind: the batch then waits in its queue), only
    /// that no refusal arrived in that time. Needs <see cref="NeuralTradeClientOptions.TrackRejections"/>.
    /// </summary>
    public async Task<DataRejected?> WaitForRejectionAsync(TimeSpan within, CancellationToken cancellationToken = default)
    {
        if (_tracker is null)
            throw new InvalidOperationException("this client does not track rejections (NeuralTradeClientOptions.TrackRejections is false).");
        ArgumentOutOfRangeException.ThrowIfLessThan(within, TimeSpan.Zero);
        try
        {
            return await _tracker.Get(BatchId).WaitAsync(within, cancellationToken);
        }
        catch (TimeoutException)
        {
            return null;
        }
    }
}

/// <summary>
/// The batches one client published recently, by batch id, each with the <c>data.rejected</c> it may get. Every feed
/// hears every <c>data.rejected</c>: those of other feeds' batches are skipped.
/// </summary>
internal sealed class RejectionTracker(TimeSpan retention, TimeProvider time)
{
    readonly ConcurrentDictionary<Guid, Entry> _batches = new();

    sealed record Entry(TaskCompletionSource<DataRejected> Rejection, DateTimeOffset Until);

    public int Count => _batches.Count;

    /// <summary>Remembers a batch about to be published (again: a re-send keeps the first wait).</summary>
    public void Track(Guid batchId)
    {
        var now = time.GetUtcNow();
        foreach (var (id, entry) in _batches)
        {
            if (entry.Until < now)
                _batches.TryRemove(id, out _);
        }

        _batches.AddOrUpdate(batchId,
            _ => new Entry(new TaskCompletionSource<DataRejected>(TaskCreationOptions.RunContinuationsAsynchronously), now + retention),
            (_, existing) => existing with { Until = now + retention });
    }

    public Task<DataRejected> Get(Guid batchId) =>
        _batches.TryGetValue(batchId, out var entry)
            ? entry.Rejection.Task
            : Task.FromException<DataRejected>(new InvalidOperationException(
                $"batch {batchId} is not remembered any more (NeuralTradeClientOptions.RejectionRetention)."));

    /// <summary>True for a batch this client published within the retention.</summary>
    public bool IsTracked(Guid batchId) => _batches.ContainsKey(batchId);

    /// <summary>True when <paramref name="rejected"/> is about one of this client's batches (the first one for it settles the wait).</summary>
    public bool Accept(DataRejected rejected)
    {
        if (!_batches.TryGetValue(rejected.CorrelationId, out var entry))
            return false;
        entry.Rejection.TrySetResult(rejected);
        return true;
    }
}
