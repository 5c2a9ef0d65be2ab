using MassTransit;
using NeuralTrade.Events.Contracts;

namespace NeuralTrade.Events.Fleet;

/// <summary>
/// Publishes the market in order, one market.candles message at a time, and waits until the fleet has dealt with
/// it (Ingest stored or rejected it; Inference and Monitor handled each data.ingested) before the next.
/// </summary>
internal sealed class MarketReplay(IBus bus, FleetObserver observer, IReadOnlyList<Candle> candles)
{
    readonly Dictionary<Guid, int> _requestPositions = [];
    long _published;

    public int Position { get; private set; }
    public int Count => candles.Count;

    public async Task NextAsync(int count, CancellationToken cancellationToken)
    {
        var batch = candles.Skip(Position).Take(count).ToList();
        await bus.Publish(new MarketCandles { Candles = batch, Source = "fleet-replay" }, cancellationToken);
        _published++;
        Position += batch.Count;
        await FleetDemo.WaitUntilAsync(() => observer.MessagesDone + observer.MessagesFaulted >= _published && observer.IngestedConsumed >= 2 * observer.IngestedEvents,
            TimeSpan.FromMinutes(5), "the fleet to handle the replayed candles", cancellationToken);
        foreach (var request in observer.TrainingRequests)
            _requestPositions.TryAdd(request.RequestId, Position);
    }

    public int? PositionAtFirst(Guid? requestId) =>
        requestId is { } id && _requestPositions.TryGetValue(id, out var position) ? position : null;
}
