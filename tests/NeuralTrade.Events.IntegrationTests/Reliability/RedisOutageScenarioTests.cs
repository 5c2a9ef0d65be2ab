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
    sealed class PrivateRedis(int port, string directory, string fsync = "always") : IAsyncDisposable
    {
        Process? _process;

        public int Port => port;
        public string Url => $"redis://127.0.0.1:{port}";

        public async Task StartAsync()
        {
            System.IO.Directory.CreateDirectory(directory);
            _process = Process.Start(new ProcessStartInfo("redis-server",
                ["--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "",
                 "--appendonly", "yes", "--appendfsync", fsync, "--dir", directory, "--logfile", Path.Combine(directory, "redis.log")])
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

        public string Directory => directory;

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

    /// <summary>
    /// Redis as compose runs it (AOF, <c>appendfsync everysec</c>) loses its last second of writes, as a power cut would
    /// leave it: the AOF is copied under load, a second later Redis is killed (-9), its AOF replaced by the copy (what
    /// had been fsynced) and Redis restarted on it. Candles Ingest stored, announced and acknowledged in that second are
    /// gone from the store. The recovery is the feed's replay of its recent batches (same message ids): Ingest's
    /// receipts and ledger entries for them were lost with them, so the lost candles are stored again, the surviving
    /// ones count as duplicates, and every candle is stored exactly once.
    /// </summary>
    [Test]
    public async Task Redis_losing_its_last_second_is_recovered_by_the_feeds_replay_and_every_candle_is_stored_once()
    {
        await using var redis = new PrivateRedis(FreePort(), Path.Combine(ScratchDirectory, "redis-everysec"), fsync: "everysec");
        await redis.StartAsync();
        var ingest = await StartHostAsync(b => b.AddIngestWorker(), new Dictionary<string, string?>
        {
            ["Redis:Url"] = redis.Url, ["Logging:LogLevel:MassTransit"] = "None", ["Logging:LogLevel:StackExchange"] = "None",
        });
        var ingested = await Amqp.TapAsync(Exchanges.DataIngested);

        const int messages = 150, perMessage = 10;
        var series = new SeriesKey("everysec", "ES/USD", "1m");
        var market = new MarketSimulator(new SimulatedMarket { Exchange = series.Exchange, Symbol = series.Symbol, Seed = 12 }).Generate(messages * perMessage).ToList();
        var bodies = market.Chunk(perMessage).Select((chunk, i) => (Id: $"es-{i}", Body: JsonSerializer.Serialize(new MarketCandles { Candles = chunk }, ContractJson.Options))).ToList();
        var clock = Stopwatch.StartNew();
        var sentAt = new TimeSpan[bodies.Count];
        var feed = Task.Run(async () =>
        {
            for (var i = 0; i < bodies.Count; i++)
            {
                sentAt[i] = clock.Elapsed;
                await Amqp.PublishAsync(Exchanges.MarketCandles, bodies[i].Body, bodies[i].Id);
                await Task.Delay(30);
            }
        });

        // What had been fsynced: the AOF as it stood 1 s before the crash.
        await Task.Delay(2_000);
        var aof = Path.Combine(redis.Directory, "appendonlydir");
        var synced = Path.Combine(ScratchDirectory, "aof-synced");
        var syncedAt = clock.Elapsed;
        CopyDirectory(aof, synced);
        await Task.Delay(1_000);
        var crashedAt = clock.Elapsed;
        redis.Kill();
        System.IO.Directory.Delete(aof, recursive: true);
        CopyDirectory(synced, aof);
        await redis.StartAsync();
        await feed;

        await using var connection = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{redis.Port}");
        var store = new RedisCandleStore(connection, new RedisKeys(KeyPrefix));
        var deadline = Stopwatch.StartNew();
        long Announced() => ingested.Received.Select(d => d.Json).DistinctBy(j => j.GetProperty("eventId").GetString()).Sum(j => j.GetProperty("candles").GetArrayLength());
        while (Announced() < market.Count && deadline.Elapsed < TimeSpan.FromMinutes(2))
            await Task.Delay(250);
        await Management.WaitForQueueEmptyAsync(VirtualHost, "ingest", TimeSpan.FromSeconds(60));
        var storedBeforeReplay = await store.CountAsync(series);

        // The feed replays what it sent from 2 s before the copy on (its replay window), with the same message ids.
        var replayed = bodies.Where((_, i) => sentAt[i] >= syncedAt - TimeSpan.FromSeconds(2)).ToList();
        foreach (var (id, body) in replayed)
            await Amqp.PublishAsync(Exchanges.MarketCandles, body, id);
        deadline.Restart();
        while (await store.CountAsync(series) < market.Count && deadline.Elapsed < TimeSpan.FromMinutes(1))
            await Task.Delay(250);
        await Management.WaitForQueueEmptyAsync(VirtualHost, "ingest", TimeSpan.FromSeconds(60));
        await Task.Delay(1_000);

        var stored = await store.GetRangeAsync(series);
        var dead = (await Management.FindQueueAsync(VirtualHost, "ingest_error")) is { } q && q.TryGetProperty("messages", out var m) ? m.GetInt32() : 0;
        var lostBeforeReplay = market.Count - storedBeforeReplay;
        TestContext.Out.WriteLine($"injected: {messages} messages × {perMessage} candles, one every 30 ms; AOF copied at {syncedAt.TotalSeconds:F1} s, " +
            $"Redis killed at {crashedAt.TotalSeconds:F1} s and restarted on the copy. counted: stored {storedBeforeReplay:N0} of {market.Count:N0} before the " +
            $"replay ({lostBeforeReplay} candles lost with Redis's last second, all of them announced and acknowledged); the feed replayed " +
            $"{replayed.Count} messages; stored {stored.Count:N0} after, {stored.Select(c => c.OpenTime).Distinct().Count():N0} distinct; dead-lettered {dead}");
        ReliabilityTable.Add("Redis loses its last second (everysec)", $"AOF cut back 1 s at a kill -9: {lostBeforeReplay} candles lost, then the feed replays {replayed.Count} messages",
            market.Count, stored.Count, stored.Count - stored.Select(c => c.OpenTime).Distinct().Count(), dead, market.Count - stored.Select(c => c.OpenTime).Distinct().Count());
        Assert.Multiple(() =>
        {
            Assert.That(lostBeforeReplay, Is.GreaterThan(0), "the cut AOF lost acknowledged candles (else this scenario tests nothing)");
            Assert.That(stored, Is.EqualTo(market), "after the replay every candle is stored exactly once, in order");
            Assert.That(dead, Is.Zero, "nothing dead-lettered");
        });
    }

    static void CopyDirectory(string from, string to)
    {
        System.IO.Directory.CreateDirectory(to);
        foreach (var file in System.IO.Directory.GetFiles(from))
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)), overwrite: true);
    }

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
