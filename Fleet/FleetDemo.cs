using System.Diagnostics;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using NeuralTrade.Events.Contracts;
using NeuralTrade.Events.Hosting;
using NeuralTrade.Events.MarketData;
using NeuralTrade.Events.Workers.Ingest;
using Spectre.Console;

namespace NeuralTrade.Events.Fleet;

internal static class FleetDemo
{
    internal sealed record Settings(FileInfo? Csv, int? Simulate, string Exchange, string Symbol, string Interval, int BatchSize);

    public static async Task<int> RunAsync(Settings settings, CancellationToken cancellationToken)
    {
        var candles = LoadCandles(settings);
        if (candles is null)
            return 2;

        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { ContentRootPath = AppContext.BaseDirectory });
        builder.AddServiceDefaults("fleet");
        builder.AddIngestWorker();
        var observer = new FleetObserver();
        builder.Services.AddConsumeObserver(_ => observer);
        builder.Services.AddPublishObserver(_ => observer);
        builder.AddNeuralTradeBus();

        using var host = builder.Build();
        var messaging = host.Services.GetRequiredService<IOptions<MessagingOptions>>().Value;
        var redis = host.Services.GetRequiredService<IOptions<RedisOptions>>().Value;
        AnsiConsole.MarkupLine($"[bold]NeuralTrade.Events fleet[/] — bus: [cyan]{(messaging.UsesRabbitMq ? Markup.Escape(RabbitMqAddress.Redact(messaging.RabbitMqUrl!)) : "in-memory")}[/], " +
            $"store: [cyan]{(redis.IsConfigured ? "redis" : "in-memory")}[/], workers: [cyan]ingest[/]");

        await host.StartAsync(cancellationToken);
        var bus = host.Services.GetRequiredService<IBus>();
        var store = host.Services.GetRequiredService<ICandleStore>();

        var stopwatch = Stopwatch.StartNew();
        var batches = candles.Chunk(settings.BatchSize).ToList();
        long published = 0;
        await AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .StartAsync(async progress =>
            {
                var sent = progress.AddTask($"publish {candles.Count:N0} candles to {Exchanges.MarketCandles}", maxValue: batches.Count);
                var done = progress.AddTask("ingest (validate, store, announce)", maxValue: batches.Count);
                foreach (var chunk in batches)
                {
                    await bus.Publish(new MarketCandles { Candles = chunk, Source = "fleet-replay" }, cancellationToken);
                    published++;
                    sent.Increment(1);
                    done.Value = observer.MessagesDone + observer.MessagesFaulted;
                }

                await WaitUntilAsync(() => observer.MessagesDone + observer.MessagesFaulted >= published, done, observer, cancellationToken);
            });
        var elapsed = stopwatch.Elapsed;

        // Re-send the first batch as a feed that retries would: every candle is a duplicate, nothing is re-announced.
        var acceptedBefore = observer.Accepted;
        var ingestedEventsBefore = observer.IngestedEvents;
        await bus.Publish(new MarketCandles { Candles = batches[0], Source = "fleet-replay-again" }, cancellationToken);
        published++;
        await WaitUntilAsync(() => observer.MessagesDone + observer.MessagesFaulted >= published, null, observer, cancellationToken);

        var series = await store.ListSeriesAsync(cancellationToken);
        var table = new Table().Border(TableBorder.Rounded).AddColumn("what").AddColumn(new TableColumn("count").RightAligned());
        table.AddRow("market.candles messages published", published.ToString("N0"));
        table.AddRow("candles replayed", candles.Count.ToString("N0"));
        table.AddRow("[green]accepted and stored[/] (announced in data.ingested)", acceptedBefore.ToString("N0"));
        table.AddRow("[red]rejected[/] (published in data.rejected)", observer.Rejected.ToString("N0"));
        foreach (var (code, n) in observer.RejectionCodes.OrderByDescending(kv => kv.Value))
            table.AddRow($"   reason [yellow]{Markup.Escape(code)}[/]", n.ToString("N0"));
        table.AddRow("re-sent batch: candles newly stored", (observer.Accepted - acceptedBefore).ToString("N0"));
        table.AddRow("re-sent batch: data.ingested events", (observer.IngestedEvents - ingestedEventsBefore).ToString("N0"));
        table.AddRow("messages dead-lettered", observer.MessagesFaulted.ToString("N0"));
        foreach (var key in series)
            table.AddRow($"stored in {Markup.Escape(key.ToString())}", (await store.CountAsync(key, cancellationToken)).ToString("N0"));
        table.AddRow("ingest throughput", $"{candles.Count / elapsed.TotalSeconds:N0} candles/s");
        AnsiConsole.Write(table);

        await host.StopAsync(CancellationToken.None);
        return observer.MessagesFaulted == 0 ? 0 : 1;
    }

    static async Task WaitUntilAsync(Func<bool> condition, ProgressTask? task, FleetObserver observer, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.StartNew();
        while (!condition())
        {
            if (deadline.Elapsed > TimeSpan.FromMinutes(5))
                throw new TimeoutException("Ingest did not finish the replay within 5 minutes.");
            if (task is not null)
                task.Value = observer.MessagesDone + observer.MessagesFaulted;
            await Task.Delay(20, cancellationToken);
        }

        if (task is not null)
            task.Value = task.MaxValue;
    }

    static List<Candle>? LoadCandles(Settings settings)
    {
        if (settings.Simulate is { } n)
        {
            return new MarketSimulator(new SimulatedMarket
            {
                Exchange = settings.Exchange, Symbol = settings.Symbol, Interval = settings.Interval,
            }).Generate(n).ToList();
        }

        var file = settings.Csv ?? new FileInfo(Path.Combine(AppContext.BaseDirectory, "samples", "btc-usdt-1m.csv"));
        if (!file.Exists)
        {
            AnsiConsole.MarkupLine($"[red]error:[/] no such file {Markup.Escape(file.FullName)}");
            return null;
        }

        using var reader = file.OpenText();
        var candles = new List<Candle>();
        try
        {
            foreach (var row in CandleCsv.Read(reader, settings.Exchange, settings.Symbol, settings.Interval))
            {
                if (row.Candle is not null)
                    candles.Add(row.Candle);
                else
                    AnsiConsole.MarkupLine($"[yellow]skipped[/] {Markup.Escape(file.Name)} line {row.Line}: {Markup.Escape(row.Error!)}");
            }
        }
        catch (InvalidDataException e)
        {
            AnsiConsole.MarkupLine($"[red]error:[/] {Markup.Escape(file.Name)}: {Markup.Escape(e.Message)}");
            return null;
        }

        AnsiConsole.MarkupLine($"read {candles.Count:N0} candles from {Markup.Escape(file.FullName)}");
        return candles.Count == 0 ? null : candles;
    }

    public static int WriteSimulated(FileInfo output, int count, int seed, string interval)
    {
        var candles = new MarketSimulator(new SimulatedMarket { Seed = seed, Interval = interval }).Generate(count);
        output.Directory?.Create();
        using var writer = output.CreateText();
        CandleCsv.Write(writer, candles);
        AnsiConsole.MarkupLine($"wrote {count:N0} simulated {Markup.Escape(interval)} candles to {Markup.Escape(output.FullName)}");
        return 0;
    }
}
