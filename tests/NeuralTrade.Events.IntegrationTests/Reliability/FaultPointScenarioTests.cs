using System.Diagnostics;
using System.Text.Json;
using NeuralTrade.Events.Contracts;
using NeuralTrade.Events.MarketData;

namespace NeuralTrade.Events.IntegrationTests.Reliability;

/// <summary>
/// Reliability scenarios with faults injected inside a worker's steps (NEURALTRADE_FAULTS kills the process with
/// SIGKILL at a named point): Ingest killed after storing, after announcing and after recording a message, each time on
/// the first message, then replaced; and a poison message that kills Ingest every time it is handled, under a feed of
/// good ones, with the worker restarted each time it dies (as an orchestrator would).
/// </summary>
[Category("Reliability")]
public sealed class FaultPointScenarioTests : BrokerTest
{
    Dictionary<string, string> Environment(string? faults = null)
    {
        var environment = new Dictionary<string, string>
        {
            ["RABBITMQ_URL"] = Services.UrlFor(VirtualHost), ["REDIS_URL"] = Services.RedisUrl, ["Redis__KeyPrefix"] = KeyPrefix,
            ["Tracking__LocalDirectory"] = ScratchDirectory,
        };
        if (faults is not null)
            environment["NEURALTRADE_FAULTS"] = faults;
        return environment;
    }

    static async Task WaitForExitAsync(WorkerProcess worker, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (!worker.HasExited && clock.Elapsed < timeout)
            await Task.Delay(100);
    }

    [TestCase("ingest.after-store")]
    [TestCase("ingest.after-publish")]
    [TestCase("ingest.after-ledger")]
    public async Task Ingest_killed_inside_a_step_stores_and_announces_every_candle_once(string point)
    {
        const int messages = 40, perMessage = 25;
        var logs = Path.Combine(ScratchDirectory, "logs");
        var series = new SeriesKey("fault", "FP/USD", "1m");
        var market = new MarketSimulator(new SimulatedMarket { Exchange = series.Exchange, Symbol = series.Symbol, Seed = 5 }).Generate(messages * perMessage).ToList();
        var ingested = await Amqp.TapAsync(Exchanges.DataIngested);
        var worker = await WorkerProcess.StartAsync("Ingest", Environment(point), logs);

        var i = 0;
        foreach (var chunk in market.Chunk(perMessage))
            await Amqp.PublishAsync(Exchanges.MarketCandles, JsonSerializer.Serialize(new MarketCandles { Candles = chunk }, ContractJson.Options), $"fp-{i++}");
        await WaitForExitAsync(worker, TimeSpan.FromSeconds(30));
        var died = worker.HasExited;
        await worker.DisposeAsync();
        await using var replacement = await WorkerProcess.StartAsync("Ingest", Environment(), logs);

        List<string> Announced() => ingested.Received.Select(d => d.Json).DistinctBy(j => j.GetProperty("eventId").GetString())
            .SelectMany(j => j.GetProperty("candles").EnumerateArray()).Select(c => c.GetProperty("openTime").GetString()!).ToList();
        var deadline = Stopwatch.StartNew();
        while (Announced().Count < market.Count && deadline.Elapsed < TimeSpan.FromMinutes(1))
            await Task.Delay(250);
        await Management.WaitForQueueEmptyAsync(VirtualHost, "ingest", TimeSpan.FromSeconds(30));

        var stored = await CandleStore.CountAsync(series);
        var announced = Announced();
        var dead = await DepthAsync("ingest_error");
        ReliabilityTable.Add($"Ingest killed at {point}", $"SIGKILL at {point} on the first message", market.Count, stored,
            announced.Count - announced.Distinct().Count(), dead, market.Count - announced.Distinct().Count());
        Assert.Multiple(() =>
        {
            Assert.That(died, Is.True, $"the worker died at {point}");
            Assert.That(stored, Is.EqualTo(market.Count), "every candle stored exactly once");
            Assert.That(announced, Has.Count.EqualTo(market.Count), "every candle announced under one event id");
            Assert.That(announced.Distinct().Count(), Is.EqualTo(market.Count), "no candle in two events");
            Assert.That(dead, Is.Zero, "nothing dead-lettered");
        });
    }

    [Test]
    public async Task A_poison_message_that_kills_its_worker_ends_in_the_dead_letter_queue_with_the_reason_and_nothing_else_is_lost()
    {
        const int messages = 60, perMessage = 10, attempts = 3;
        var logs = Path.Combine(ScratchDirectory, "logs");
        var series = new SeriesKey("poison", "GOOD/USD", "1m");
        var market = new MarketSimulator(new SimulatedMarket { Exchange = series.Exchange, Symbol = series.Symbol, Seed = 6 }).Generate(messages * perMessage).ToList();
        var poison = new MarketSimulator(new SimulatedMarket { Exchange = "poison", Symbol = "POISON/USD", Seed = 7 }).Generate(3).ToList();
        var environment = Environment("ingest.candle=POISON/USD");
        environment["Messaging__PoisonAttempts"] = attempts.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var ingested = await Amqp.TapAsync(Exchanges.DataIngested);
        var worker = await WorkerProcess.StartAsync("Ingest", environment, logs);

        var feed = Task.Run(async () =>
        {
            var i = 0;
            foreach (var chunk in market.Chunk(perMessage))
            {
                if (i == messages / 3)
                    await Amqp.PublishAsync(Exchanges.MarketCandles, JsonSerializer.Serialize(new MarketCandles { Candles = poison }, ContractJson.Options), "poison-1");
                await Amqp.PublishAsync(Exchanges.MarketCandles, JsonSerializer.Serialize(new MarketCandles { Candles = chunk }, ContractJson.Options), $"good-{i++}");
                await Task.Delay(20);
            }
        });

        // An orchestrator's restart loop: whenever the worker dies, start another, until the queue is drained.
        var restarts = 0;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromMinutes(2))
        {
            if (worker.HasExited)
            {
                await worker.DisposeAsync();
                restarts++;
                worker = await WorkerProcess.StartAsync("Ingest", environment, logs, waitUntilReady: false); // it may die before it is ready
            }

            if (feed.IsCompleted && await CandleStore.CountAsync(series) == market.Count && await DepthAsync("ingest") == 0 && await DepthAsync("ingest_error") == 1)
                break;
            await Task.Delay(250);
        }

        await feed;
        await Management.WaitForQueueEmptyAsync(VirtualHost, "ingest", TimeSpan.FromSeconds(30));
        await worker.DisposeAsync();
        var stored = await CandleStore.CountAsync(series);
        var announced = ingested.Received.Select(d => d.Json).Where(j => j.GetProperty("symbol").GetString() == series.Symbol)
            .DistinctBy(j => j.GetProperty("eventId").GetString()).SelectMany(j => j.GetProperty("candles").EnumerateArray())
            .Select(c => c.GetProperty("openTime").GetString()!).ToList();
        var letters = await Amqp.DrainAsync("ingest_error");
        var reason = letters.Select(l => l.Header("MT-Fault-Message")).FirstOrDefault() ?? "";
        TestContext.Out.WriteLine($"restarts {restarts}; dead letter: message_id {letters.FirstOrDefault()?.Properties.MessageId}, reason: {reason}");
        ReliabilityTable.Add("poison message (candles)", "one message that kills Ingest whenever it is handled", market.Count + poison.Count, stored,
            announced.Count - announced.Distinct().Count(), letters.Count * poison.Count, market.Count - announced.Distinct().Count());
        Assert.Multiple(() =>
        {
            Assert.That(restarts, Is.EqualTo(attempts), "the poison killed the worker on its first delivery and on each counted redelivery, then never again");
            Assert.That(letters.Select(l => l.Properties.MessageId), Is.EqualTo(new[] { "poison-1" }), "only the poison is dead-lettered");
            Assert.That(reason, Does.Contain("poison message").And.Contain("never finished"), "the dead letter says why");
            Assert.That(stored, Is.EqualTo(market.Count), "every good candle stored exactly once");
            Assert.That(announced.Distinct().Count(), Is.EqualTo(market.Count), "every good candle announced");
            Assert.That(announced, Has.Count.EqualTo(market.Count), "none announced twice");
        });
    }

    async Task<int> DepthAsync(string queue) =>
        await Management.FindQueueAsync(VirtualHost, queue) is { } q && q.TryGetProperty("messages", out var m) ? m.GetInt32() : 0;
}
