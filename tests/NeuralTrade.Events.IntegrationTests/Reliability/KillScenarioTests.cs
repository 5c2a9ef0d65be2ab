using System.Diagnostics;
using System.Text.Json;
using NeuralTrade.Events.Contracts;
using NeuralTrade.Events.MarketData;

namespace NeuralTrade.Events.IntegrationTests.Reliability;

/// <summary>
/// Reliability scenario "kill -9": Ingest runs as real processes; under a steady feed the worker is killed with SIGKILL,
/// its replacement is killed again while it catches up, and a third finishes. Every candle is stored exactly once and announced under one event id; nothing is
/// dead-lettered.
/// </summary>
[Category("Reliability")]
public sealed class KillScenarioTests : BrokerTest
{
    Dictionary<string, string> WorkerEnvironment() => new()
    {
        ["RABBITMQ_URL"] = Services.UrlFor(VirtualHost), ["REDIS_URL"] = Services.RedisUrl, ["Redis__KeyPrefix"] = KeyPrefix,
        ["Tracking__LocalDirectory"] = Path.Combine(ScratchDirectory, "runs"),
    };

    [Test]
    public async Task Ingest_killed_twice_under_load_stores_every_candle_exactly_once()
    {
        const int messages = 400, perMessage = 25;
        var logs = Path.Combine(ScratchDirectory, "logs");
        var series = new SeriesKey("kill", "K9/USD", "1m");
        var market = new MarketSimulator(new SimulatedMarket { Exchange = series.Exchange, Symbol = series.Symbol, Seed = 4 }).Generate(messages * perMessage).ToList();
        var ingested = await Amqp.TapAsync(Exchanges.DataIngested);
        var worker = await WorkerProcess.StartAsync("Ingest", WorkerEnvironment(), logs);

        var clock = Stopwatch.StartNew();
        var feed = Task.Run(async () =>
        {
            var i = 0;
            foreach (var chunk in market.Chunk(perMessage))
            {
                await Amqp.PublishAsync(Exchanges.MarketCandles, JsonSerializer.Serialize(new MarketCandles { Candles = chunk }, ContractJson.Options), $"k9-{i++}");
                await Task.Delay(15);
            }
        });

        // Kill the worker while it works, twice; each replacement is killed again 3 s after it was started, while it is
        // catching up on the backlog the last one left; the third runs to the end.
        var kills = new List<string>();
        await Task.Delay(1_500);
        for (var round = 0; round < 2; round++)
        {
            var before = ingested.Received.Count;
            worker.Kill();
            kills.Add($"killed pid {worker.Id} at {clock.Elapsed.TotalSeconds:F1} s after {before} data.ingested");
            await worker.DisposeAsync();
            var last = round == 1;
            worker = await WorkerProcess.StartAsync("Ingest", WorkerEnvironment(), logs, waitUntilReady: last);
            if (!last)
                await Task.Delay(3_000);
        }

        await feed;
        IEnumerable<JsonElement> Distinct() => ingested.Received.Select(d => d.Json).DistinctBy(j => j.GetProperty("eventId").GetString());
        long Announced() => Distinct().Sum(j => j.GetProperty("candles").GetArrayLength());
        var deadline = Stopwatch.StartNew();
        while (Announced() < market.Count && deadline.Elapsed < TimeSpan.FromMinutes(2))
            await Task.Delay(250);
        await Management.WaitForQueueEmptyAsync(VirtualHost, "ingest", TimeSpan.FromSeconds(60));
        await Task.Delay(1_000);
        await worker.DisposeAsync();

        var stored = await CandleStore.CountAsync(series);
        var dead = (await Management.FindQueueAsync(VirtualHost, "ingest_error")) is { } q && q.TryGetProperty("messages", out var m) ? m.GetInt32() : 0;
        var announcedTimes = Distinct().SelectMany(j => j.GetProperty("candles").EnumerateArray()).Select(c => c.GetProperty("openTime").GetString()).ToList();
        TestContext.Out.WriteLine($"injected: {messages} messages × {perMessage} candles, one every 15 ms; {string.Join("; ", kills)}. " +
            $"counted: stored {stored:N0}, announced {Announced():N0} candles in {Distinct().Count()} events " +
            $"({ingested.Received.Count - Distinct().Count()} re-sent with the same eventId), dead-lettered {dead}, in {clock.Elapsed.TotalSeconds:F1} s");

        Assert.Multiple(() =>
        {
            Assert.That(stored, Is.EqualTo(market.Count), "every candle stored exactly once");
            Assert.That(announcedTimes.Count, Is.EqualTo(market.Count), "every candle announced under one event id");
            Assert.That(announcedTimes.Distinct().Count(), Is.EqualTo(market.Count), "no candle in two different events");
            Assert.That(dead, Is.Zero, "nothing dead-lettered");
        });
    }
}
