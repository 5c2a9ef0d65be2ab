using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using NeuralTrade.Events.Contracts;
using NeuralTrade.Events.Hosting;
using NeuralTrade.Events.MarketData;
using NeuralTrade.Events.Messaging;
using NeuralTrade.Events.Modeling;
using NeuralTrade.Events.Stores;
using NeuralTrade.Events.Tracking;
using NeuralTrade.Events.Workers.Inference;
using NeuralTrade.Events.Workers.Ingest;
using NeuralTrade.Events.Workers.Monitor;
using NeuralTrade.Events.Workers.Registry;
using NeuralTrade.Events.Workers.Training;
using NeuralTrade.Events.Terminal;
using Spectre.Console;
using Spectre.Console.Rendering;

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
