using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using NeuralTrade.Events.Contracts;
using NeuralTrade.Events.MarketData;
using NeuralTrade.Events.Stores;
using NeuralTrade.Events.Workers.Ingest;
using StackExchange.Redis;

namespace NeuralTrade.Events.IntegrationTests.Reliability;

/// <summary>
/// Reliability scenario "Redis unavailable": Ingest under a steady feed while its Redis (a private redis-server with an
/// fsync-always AOF, so a kill -9 loses nothing acknowledged) is killed and restarted. The worker reports unhealthy while
/// Redis is gone, holds and retries what it cannot store with backoff, recovers by itself, and every candle is stored
/// and announced once per event id (a message whose ledger write failed after its announcement is announced again with
/// the same eventId, which consumers dedupe: the contract's at-least-once); nothing is dead-lettered.
/// NEURALTRADE_OUTAGE_SECONDS sets the outage (default 30 s: longer than the plain retries, about 20 s with Redis timeouts,
/// would carry a message through, so without the outage retry this scenario dead-letters).
/// </summary>
[Category("Reliability")]
public sealed class RedisOutageScenarioTests : BrokerTest
{
    sealed class PrivateRedis(int port, string directory) : IAsyncDisposable
    {
        Process? _process;

        public int Port => port;
        public string Url => $"redis://127.0.0.1:{port}";

        public async Task StartAsync()
        {
            Directory.CreateDirectory(directory);
            _process = Process.Start(new ProcessStartInfo("redis-server",
                ["--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "",
                 "--appendonly", "yes", "--appendfsync", "always", "--dir", directory, "--logfile", Path.Combine(directory, "redis.log")])
            {
                RedirectStandardOutput = true, RedirectStandardError = true,
            }) ?? throw new InvalidOperationException("redis-server did not start");
            for (var i = 0; i < 100; i++)
            {
                try
                {
                    using var client = new TcpClient();
                    await client.ConnectAsync(IPAddress.Loopback, port);
                    return;
                }
                catch (SocketException)
                {
                    await Task.Delay(50);
                }
            }

            Assert.Fail($"redis-server on port {port} did not answer; see {directory}/redis.log");
        }

        /// <summary>kill -9: no shutdown, no final save.</summary>
        public void Kill()
        {
            _process?.Kill(entireProcessTree: true);
            _process?.WaitForExit();
        }

        public ValueTask DisposeAsync()
        {
            if (_process is { HasExited: false })
                Kill();
            _process?.Dispose();
            return ValueTask.CompletedTask;
        }
    }

    static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    static async Task<HealthStatus> ReadyAsync(IServiceProvider services) =>
        (await services.GetRequiredService<HealthCheckService>().CheckHealthAsync(r => r.Tags.Contains("ready"))).Status;

    [Test]
    public async Task Ingest_reports_unhealthy_waits_out_a_redis_outage_and_stores_every_candle_exactly_once()
    {
        var outage = TimeSpan.FromSeconds(int.TryParse(Environment.GetEnvironmentVariable("NEURALTRADE_OUTAGE_SECONDS"), out var s) && s > 0 ? s : 30);
        await using var redis = new PrivateRedis(FreePort(), Path.Combine(ScratchDirectory, "redis"));
        await redis.StartAsync();
        var ingest = await StartHostAsync(b => b.AddIngestWorker(), new Dictionary<string, string?>
        {
            ["Redis:Url"] = redis.Url, ["Logging:LogLevel:MassTransit"] = "None", ["Logging:LogLevel:StackExchange"] = "None",
        });
        var ingested = await Amqp.TapAsync(Exchanges.DataIngested);
        Assert.That(await ReadyAsync(ingest.Services), Is.EqualTo(HealthStatus.Healthy));

        // A steady feed: 300 messages of 10 new candles, one every 30 ms, while Redis goes away and comes back.
        const int messages = 300, perMessage = 10;
        var series = new SeriesKey("outage", "RDS/USD", "1m");
        var market = new MarketSimulator(new SimulatedMarket { Exchange = series.Exchange, Symbol = series.Symbol, Seed = 9 }).Generate(messages * perMessage).ToList();
        // Publishing goes on through the outage (the broker is up); it ends before Redis is back.
        var feed = Task.Run(async () =>
        {
            var i = 0;
            foreach (var chunk in market.Chunk(perMessage))
            {
                await Amqp.PublishAsync(Exchanges.MarketCandles, JsonSerializer.Serialize(new MarketCandles { Candles = chunk }, ContractJson.Options), $"outage-{i++}");
                await Task.Delay(30);
            }
        });

        await Task.Delay(2_000);
        var killedAt = Stopwatch.StartNew();
        redis.Kill();
        var unhealthy = false;
        while (killedAt.Elapsed < outage)
        {
            unhealthy |= await ReadyAsync(ingest.Services) == HealthStatus.Unhealthy;
            await Task.Delay(250);
        }

        await redis.StartAsync();
        var downFor = killedAt.Elapsed;
        var recovered = Stopwatch.StartNew();
        while (await ReadyAsync(ingest.Services) != HealthStatus.Healthy && recovered.Elapsed < TimeSpan.FromSeconds(30))
            await Task.Delay(250);
        var healthyAfter = recovered.Elapsed;
        await feed;

        // At-least-once with stable ids: count each event id once.
        IEnumerable<JsonElement> Distinct() => ingested.Received.Select(d => d.Json).DistinctBy(j => j.GetProperty("eventId").GetString());
        long Announced() => Distinct().Sum(j => j.GetProperty("candles").GetArrayLength());
        var deadline = Stopwatch.StartNew();
        while (Announced() < market.Count && deadline.Elapsed < TimeSpan.FromMinutes(2))
            await Task.Delay(250);
        await Management.WaitForQueueEmptyAsync(VirtualHost, "ingest", TimeSpan.FromSeconds(60));
        await Task.Delay(1_000);

        await using var connection = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{redis.Port}");
        var stored = await new RedisCandleStore(connection, new RedisKeys(KeyPrefix)).CountAsync(series);
        var dead = (await Management.FindQueueAsync(VirtualHost, "ingest_error")) is { } q && q.TryGetProperty("messages", out var m) ? m.GetInt32() : 0;
        var allDone = recovered.Elapsed;
        TestContext.Out.WriteLine($"injected: {messages} messages × {perMessage} candles, one every 30 ms; Redis killed (-9) 2 s in, down {downFor.TotalSeconds:F1} s. " +
            $"counted: ready check Unhealthy during the outage: {unhealthy}; Healthy again {healthyAfter.TotalSeconds:F1} s after restart; " +
            $"announced {Announced():N0} candles in {Distinct().Count()} data.ingested ({ingested.Received.Count - Distinct().Count()} re-sent with the same eventId), " +
            $"stored {stored:N0}, dead-lettered {dead}, " +
            $"all done {allDone.TotalSeconds:F1} s after restart");
        var distinctCandles = Distinct().SelectMany(j => j.GetProperty("candles").EnumerateArray()).Select(c => c.GetProperty("openTime").GetString()).ToList();
        ReliabilityTable.Add("Redis outage", $"Redis killed (-9) for {downFor.TotalSeconds:F0} s under load", market.Count, stored,
            distinctCandles.Count - distinctCandles.Distinct().Count(), dead, market.Count - distinctCandles.Distinct().Count());

        Assert.Multiple(() =>
        {
            Assert.That(unhealthy, Is.True, "the ready check said Unhealthy while Redis was gone");
            Assert.That(healthyAfter, Is.LessThan(TimeSpan.FromSeconds(30)), "and Healthy again by itself");
            Assert.That(stored, Is.EqualTo(market.Count), "every candle stored once");
            Assert.That(Announced(), Is.EqualTo(market.Count), "every candle announced under one event id");
            Assert.That(Distinct().SelectMany(j => j.GetProperty("candles").EnumerateArray()).Select(c => c.GetProperty("openTime").GetString()).Distinct().Count(),
                Is.EqualTo(market.Count), "no candle in two different events");
            Assert.That(dead, Is.Zero, "nothing dead-lettered");
        });
    }
}
