using System.Diagnostics;
using NeuralTrade.Events.Contracts;
using NeuralTrade.Events.MarketData;
using NeuralTrade.Events.Stores;
using Spectre.Console;

namespace NeuralTrade.Events.Fleet;

/// <summary>
/// 3. The market goes on: small messages as a live feed would send; predictions stream, the monitor watches. When the
/// monitor asks for a retrain, the replay waits for the loop (train → gate → swap) and goes on.
/// </summary>
internal sealed class LivePlay(IAnsiConsole console, FleetDemo.Settings settings, MarketReplay replay, FleetObserver observer,
    ITrainingJobStore jobs, SeriesKey series, int? shiftAt, Stopwatch stopwatch)
{
    readonly HashSet<Guid> _handled = [];
    int _printedEvents;

    public IAnsiConsole Console => console;
    public FleetDemo.Settings Settings => settings;
    public MarketReplay Replay => replay;
    public FleetObserver Observer => observer;
    public ITrainingJobStore Jobs => jobs;
    public SeriesKey Series => series;

    /// <summary>A training request the demo itself follows; the live part does not treat it as the monitor's.</summary>
    public void Handled(Guid requestId) => _handled.Add(requestId);

    /// <summary>Events from here on are printed by the log view of the live part (those before it were shown already).</summary>
    public void LogFromNow() => _printedEvents = observer.EventsSince(0).Count;

    public async Task PlayAsync(CancellationToken cancellationToken)
    {
        console.Write(new Rule($"[bold]3. live[/]: {replay.Count - replay.Position:N0} more candles, {settings.BatchSize} per message" +
            (shiftAt is { } at ? $"; the market breaks at candle {at:N0}" : "")).LeftJustified());
        while (replay.Position < replay.Count)
        {
            var retrain = console.Profile.Capabilities.Interactive
                ? await PlayInTerminalAsync(cancellationToken)
                : await PlayToLogAsync(cancellationToken);
            if (retrain is not null)
            {
                // The replay waits for the loop so that what the new model learns does not depend on machine speed;
                // in production the market keeps coming and the workers keep serving the champion meanwhile.
                console.MarkupLine($"[red]drift[/] at candle {replay.Position:N0}: the monitor asked for retraining (reason [bold]{Markup.Escape(retrain.Reason)}[/]); " +
                    "the replay waits for the loop: train → gate → swap");
                await FleetDemo.FollowTrainingAsync(console, jobs, observer, retrain, cancellationToken);
            }
        }
    }

    /// <summary>A terminal: one live view, redrawn four times a second.</summary>
    async Task<TrainingRequested?> PlayInTerminalAsync(CancellationToken cancellationToken)
    {
        TrainingRequested? retrain = null;
        await console.Live(FleetView.View(observer, replay, series, shiftAt, stopwatch.Elapsed)).AutoClear(false).StartAsync(async live =>
        {
            var lastDraw = Stopwatch.StartNew();
            retrain = await PlayUntilRetrainAsync(() => live.UpdateTarget(FleetView.View(observer, replay, series, shiftAt, stopwatch.Elapsed)), () =>
            {
                if (lastDraw.ElapsedMilliseconds < 250)
                    return false;
                lastDraw.Restart();
                return true;
            }, cancellationToken);
        });
        return retrain;
    }

    /// <summary>A log or a pipe: each event once, and a status line every 500 candles.</summary>
    Task<TrainingRequested?> PlayToLogAsync(CancellationToken cancellationToken)
    {
        var nextStatus = replay.Position + 500;
        return PlayUntilRetrainAsync(() =>
        {
            foreach (var line in observer.EventsSince(_printedEvents))
                console.MarkupLine(line);
            _printedEvents += observer.EventsSince(_printedEvents).Count;
            console.MarkupLine(FleetView.Status(observer, replay, series, shiftAt, stopwatch.Elapsed));
        }, () =>
        {
            if (replay.Position < nextStatus)
                return false;
            nextStatus += 500;
            return true;
        }, cancellationToken);
    }

    async Task<TrainingRequested?> PlayUntilRetrainAsync(Action draw, Func<bool> due, CancellationToken cancellationToken)
    {
        TrainingRequested? retrain = null;
        while (replay.Position < replay.Count && retrain is null)
        {
            await replay.NextAsync(settings.BatchSize, cancellationToken);
            retrain = observer.TrainingRequests.FirstOrDefault(r => _handled.Add(r.RequestId));
            if (due() || retrain is not null || replay.Position >= replay.Count)
                draw();
        }

        return retrain;
    }
}
