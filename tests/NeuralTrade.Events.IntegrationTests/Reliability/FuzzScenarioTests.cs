using System.Diagnostics;
using NeuralTrade.Events.Contracts;
using NeuralTrade.Events.MarketData;
using NeuralTrade.Events.Workers.Ingest;
using RabbitMQ.Client;

namespace NeuralTrade.Events.IntegrationTests.Reliability;

/// <summary>
/// Reliability scenario "fuzz": thousands of generated market.candles bodies from a plain AMQP feed into a real Ingest on
/// the real broker and Redis. The worker never stops; every candle of a well-formed body is accepted (data.ingested,
/// stored) or rejected with a reason (data.rejected); every other body is in ingest_error; the counts add up exactly.
/// NEURALTRADE_FUZZ_BODIES sets the size (default 10,000, the CI run); NEURALTRADE_FUZZ_SEED the seed.
/// </summary>
[Category("Reliability")]
public sealed class FuzzScenarioTests : BrokerTest
{
    static int Setting(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), out var value) && value > 0 ? value : fallback;

    [Test]
    public async Task Every_fuzzed_body_is_accepted_rejected_with_a_reason_or_dead_lettered_and_the_counts_add_up()
    {
        var bodies = Setting("NEURALTRADE_FUZZ_BODIES", 10_000);
        var seed = Setting("NEURALTRADE_FUZZ_SEED", 20261124);
        // Thousands of dead letters would be thousands of error lines: the counts below are the report.
        await StartHostAsync(b => b.AddIngestWorker(), new Dictionary<string, string?>
        {
            ["Logging:LogLevel:Default"] = "Warning", ["Logging:LogLevel:MassTransit"] = "None", ["Logging:LogLevel:NeuralTrade"] = "Warning",
        });
        var ingested = await Amqp.TapAsync(Exchanges.DataIngested);
        var rejected = await Amqp.TapAsync(Exchanges.DataRejected);
        var fuzzer = new CandleFuzzer(seed, $"fz{seed}");

        var generated = new List<FuzzBody>(bodies);
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < bodies; i++)
        {
            var body = fuzzer.Next(i);
            generated.Add(body);
            await Amqp.PublishBytesAsync(Exchanges.MarketCandles, body.Body, $"fuzz-{seed}-{i}");
        }

        var published = clock.Elapsed;
        var expectedAccepted = generated.Sum(b => b.ValidCandles);
        var expectedRejected = generated.Sum(b => b.BrokenCandles);
        var expectedDead = generated.Count(b => !b.WellFormed);
        TestContext.Out.WriteLine($"injected: {bodies:N0} bodies (seed {seed}) in {published.TotalSeconds:F1} s — " +
            string.Join(", ", generated.GroupBy(b => b.Kind).OrderBy(g => g.Key).Select(g => $"{g.Key} {g.Count():N0}")) +
            $"; {expectedAccepted:N0} valid candles, {expectedRejected:N0} broken candles");

        long Accepted() => ingested.Received.Sum(d => d.Json.GetProperty("candles").GetArrayLength());
        long Rejected() => rejected.Received.Sum(d => d.Json.GetProperty("candles").GetArrayLength());
        async Task<uint> DeadAsync() => await QueueDepthAsync("ingest_error");
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromMinutes(4)
               && (Accepted() < expectedAccepted || Rejected() < expectedRejected || await DeadAsync() < expectedDead))
            await Task.Delay(250);
        await Management.WaitForQueueEmptyAsync(VirtualHost, "ingest", TimeSpan.FromSeconds(60));
        await Task.Delay(1_000); // anything extra would show now

        var stored = 0L;
        foreach (var symbol in fuzzer.Symbols)
            stored += await CandleStore.CountAsync(new SeriesKey($"fz{seed}", symbol, "1m"));
        var dead = await DeadAsync();
        var reasons = rejected.Received.SelectMany(d => d.Json.GetProperty("reasons").EnumerateArray())
            .GroupBy(r => r.GetProperty("code").GetString()!).OrderByDescending(g => g.Count()).Select(g => $"{g.Key} {g.Count()}");
        TestContext.Out.WriteLine($"counted after {clock.Elapsed.TotalSeconds:F1} s: accepted {Accepted():N0} (stored {stored:N0}), " +
            $"rejected {Rejected():N0} ({string.Join(", ", reasons)}), dead-lettered {dead:N0}");
        ReliabilityTable.Add("fuzzed market.candles (valid candles)", $"{bodies:N0} fuzzed bodies, seed {seed}", expectedAccepted, stored,
            Accepted() - stored, 0, expectedAccepted - stored);
        ReliabilityTable.Add("fuzzed market.candles (malformed bodies)", $"{expectedDead:N0} bodies not of the contract's shape", expectedDead, 0, 0, dead,
            expectedDead - dead);

        Assert.Multiple(() =>
        {
            Assert.That(Accepted(), Is.EqualTo(expectedAccepted), "valid candles announced in data.ingested");
            Assert.That(stored, Is.EqualTo(expectedAccepted), "valid candles stored once");
            Assert.That(Rejected(), Is.EqualTo(expectedRejected), "broken candles in data.rejected");
            Assert.That(rejected.Received.All(d => d.Json.GetProperty("reasons").GetArrayLength() > 0), Is.True, "every rejection has a reason");
            Assert.That(dead, Is.EqualTo((uint)expectedDead), "every body that is not the contract's shape is in ingest_error");
        });

        // Not only as many: exactly those bodies, each with the reason of its refusal.
        var letters = await Amqp.DrainAsync("ingest_error");
        Assert.That(letters.Select(l => l.Properties.MessageId).Order(),
            Is.EqualTo(generated.Where(b => !b.WellFormed).Select(b => $"fuzz-{seed}-{b.Number}").Order()));
        Assert.That(letters.All(l => !string.IsNullOrEmpty(l.Header("MT-Fault-Message"))), Is.True, "each dead letter carries its reason");

        // The worker is alive and still consuming after all of it.
        Assert.That(await ConsumersAsync("ingest"), Is.EqualTo(1u), "Ingest still consumes");
    }

    async Task<uint> QueueDepthAsync(string queue) => (await DeclarePassiveAsync(queue))?.MessageCount ?? 0;

    async Task<uint> ConsumersAsync(string queue) => (await DeclarePassiveAsync(queue))?.ConsumerCount ?? 0;

    async Task<QueueDeclareOk?> DeclarePassiveAsync(string queue)
    {
        await using var connection = await new ConnectionFactory { Uri = new Uri(Services.UrlFor(VirtualHost)) }.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        try
        {
            return await channel.QueueDeclarePassiveAsync(queue);
        }
        catch (RabbitMQ.Client.Exceptions.OperationInterruptedException)
        {
            return null;
        }
    }
}
