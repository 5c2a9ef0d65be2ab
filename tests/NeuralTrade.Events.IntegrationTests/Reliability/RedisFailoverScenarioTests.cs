using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.Options;
using NeuralTrade.Events.Contracts;
using NeuralTrade.Events.MarketData;
using NeuralTrade.Events.Stores;
using NeuralTrade.Events.Testing;
using StackExchange.Redis;

namespace NeuralTrade.Events.IntegrationTests.Reliability;

/// <summary>
/// Reliability scenario "the Redis primary dies": a primary, two replicas and three Sentinels on this machine
/// (deploy/cluster.sh redis-start); Ingest and Inference processes reach Redis through the Sentinels
/// (<c>REDIS_URL=…:26391,…,serviceName=neuraltrade</c>) and acknowledge a message only once a replica holds its critical
/// writes (<c>Redis:WaitReplicas=1</c>, Redis WAIT). Under a steady feed of candles and prediction requests the primary
/// is killed (SIGKILL); the Sentinels promote a replica; every candle is stored exactly once on the new primary and
/// announced once, every request answered once, nothing dead-lettered.
/// Also: without a replica a critical write is refused, not acknowledged; concurrent writers share one WAIT.
/// Redis ports 6391-6393, Sentinels 26391-26393 (NEURALTRADE_CLUSTER_REDIS_PORT_BASE moves them); NEURALTRADE_SKIP_CLUSTER=1 skips it.
/// </summary>
[Category("Reliability")]
[Category("Cluster")]
[NonParallelizable]
public sealed class RedisFailoverScenarioTests : BrokerTest
{
    static readonly int PortBase = int.TryParse(Environment.GetEnvironmentVariable("NEURALTRADE_CLUSTER_REDIS_PORT_BASE"), out var b) ? b : 6390;
    static string SentinelUrl => $"127.0.0.1:{20000 + PortBase + 1},127.0.0.1:{20000 + PortBase + 2},127.0.0.1:{20000 + PortBase + 3},serviceName=neuraltrade";

    static Task<(int Exit, string Output)> ClusterAsync(string arguments, TimeSpan timeout) => DeployScript.RunAsync("cluster.sh", arguments, timeout);

    [OneTimeSetUp]
    public async Task StartReplicatedRedis()
    {
        if (Environment.GetEnvironmentVariable("NEURALTRADE_SKIP_CLUSTER") == "1")
            Assert.Ignore("NEURALTRADE_SKIP_CLUSTER=1");
        await ClusterAsync("wipe", TimeSpan.FromMinutes(2));
        var (exit, output) = await ClusterAsync("redis-start", TimeSpan.FromMinutes(2));
        Assert.That(exit, Is.EqualTo(0), output);
        Assert.That(output, Does.Contain("2 replicas in sync"), output);
        TestContext.Progress.WriteLine(output.Trim());
    }

    [OneTimeTearDown]
    public async Task RemoveReplicatedRedis() => await ClusterAsync("wipe", TimeSpan.FromMinutes(2));

    static async Task<ConnectionMultiplexer> ConnectAsync(string configuration)
    {
        var options = new RedisOptions { Url = configuration }.ToConfigurationOptions();
        return await ConnectionMultiplexer.ConnectAsync(options);
    }

    static RedisReplication Replication(IConnectionMultiplexer redis, int replicas) =>
        new(redis, Options.Create(new RedisOptions { Url = "unused", WaitReplicas = replicas, WaitTimeoutMs = 500 }));

    /// <summary>WAIT calls the current primary has served since it started (INFO commandstats).</summary>
    static async Task<long> WaitCallsAsync(IConnectionMultiplexer redis)
    {
        var info = (string?)await redis.GetDatabase().ExecuteAsync("INFO", "commandstats") ?? "";
        var match = System.Text.RegularExpressions.Regex.Match(info, @"cmdstat_wait:calls=(\d+)");
        return match.Success ? long.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : 0;
    }

    [Test]
    public async Task Without_a_replica_a_critical_write_is_refused_and_says_why()
    {
        // The suite's own Redis (deploy/services.sh) has no replica.
        var replication = Replication(Redis, 1);
        var store = new RedisCandleStore(Redis, new RedisKeys(KeyPrefix), replication: replication);
        var candles = new MarketSimulator(new SimulatedMarket { Exchange = "sim", Symbol = "W/USD", Seed = 3 }).Generate(5).ToList();

        var error = Assert.ThrowsAsync<RedisConnectionException>(() => store.AppendAsync(new SeriesKey("sim", "W/USD", "1m"), candles, "r1"));

        Assert.That(error!.Message, Does.Contain("0 of the 1 replica(s) Redis:WaitReplicas asks for acknowledged the write within 500 ms")
            .And.Contain("will be tried again"));
        Assert.That(replication.Short, Is.EqualTo(1));
    }

    [Test]
    public async Task Concurrent_critical_writes_share_one_wait_and_are_all_on_a_replica()
    {
        await using var primary = await ConnectAsync(SentinelUrl);
        var replication = new RedisReplication(primary, Options.Create(new RedisOptions { Url = "unused", WaitReplicas = 1, WaitTimeoutMs = 3_000 }));
        var ledger = new RedisMessageLedger(primary, new RedisKeys(KeyPrefix), replication);

        await Task.WhenAll(Enumerable.Range(0, 200).Select(i => ledger.MarkCompletedAsync("test", $"m{i}")));

        Assert.That(replication.Short, Is.Zero);
        // One WAIT was in flight when the others asked; they share the next (a third if the first came back before all had asked).
        Assert.That(replication.Sent, Is.InRange(1, 3), "200 writers shared the WAITs (group commit) instead of sending one each");
        // WAIT 1 returned for every mark: at least one replica holds all 200 (the other may still be catching up).
        var replicasChecked = 0;
        var mostHeld = 0;
        foreach (var port in new[] { PortBase + 1, PortBase + 2, PortBase + 3 })
        {
            await using var node = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{port}");
            var server = node.GetServer($"127.0.0.1:{port}");
            if (!server.IsReplica)
                continue;
            var db = node.GetDatabase();
            var present = 0;
            for (var i = 0; i < 200; i++)
                present += await db.KeyExistsAsync($"{KeyPrefix}:done:test:m{i}") ? 1 : 0;
            TestContext.Out.WriteLine($"replica {port}: {present}/200 marks, WAITs sent {replication.Sent}");
            replicasChecked++;
            mostHeld = Math.Max(mostHeld, present);
        }

        Assert.That(replicasChecked, Is.EqualTo(2), "both replicas were read");
        Assert.That(mostHeld, Is.EqualTo(200), "a replica holds every mark WAIT vouched for");
    }

    [Test]
    public async Task The_primary_killed_under_load_loses_and_doubles_nothing()
    {
        await using var replicated = await ConnectAsync(SentinelUrl);
        var keys = new RedisKeys(KeyPrefix);
        var candleStore = new RedisCandleStore(replicated, keys);
        var registry = new RedisModelRegistryStore(replicated, keys);
        await candleStore.AppendAsync(TrainedModels.Series, TrainedModels.Market, null);
        var completed = TrainedModels.Completed(ScratchDirectory, "failover-run");
        var version = await registry.AddVersionAsync(new RegisteredVersion(completed.ModelName, 0, "failover-run", completed.Artifact, completed.Metrics,
            DateTimeOffset.UtcNow, RegisteredVersion.Local));
        await registry.PromoteAsync(completed.ModelName, version.Version);
        Assert.That((long)await replicated.GetDatabase().ExecuteAsync("WAIT", 2, 5000), Is.EqualTo(2), "both replicas hold the champion and the history");

        var environment = new Dictionary<string, string>
        {
            ["RABBITMQ_URL"] = Services.UrlFor(VirtualHost), ["REDIS_URL"] = SentinelUrl, ["Redis__KeyPrefix"] = KeyPrefix,
            ["Redis__WaitReplicas"] = "1", ["Tracking__LocalDirectory"] = ScratchDirectory, ["Inference__InstanceId"] = "failover",
        };
        var logs = Path.Combine(ScratchDirectory, "logs");
        await using var ingest = await WorkerProcess.StartAsync("Ingest", environment, logs);
        await using var inference = await WorkerProcess.StartAsync("Inference", environment, logs);

        await using var feed = await ConfirmingFeed.ConnectAsync(Services.UrlFor(VirtualHost));
        await feed.DeclareCollectorAsync("failover-ingested", Exchanges.DataIngested);
        await feed.DeclareCollectorAsync("failover-answers", Exchanges.PredictionCompleted, Exchanges.PredictionFailed);

        const int perMessage = 25, maxMessages = 4_000;
        var series = new SeriesKey("failover", "FO/USD", "1m");
        var market = new MarketSimulator(new SimulatedMarket { Exchange = series.Exchange, Symbol = series.Symbol, Seed = 29 })
            .Generate(maxMessages * perMessage).ToList();
        using var stopFeeds = new CancellationTokenSource();
        var sent = 0;
        var requestIds = new List<Guid>();
        var clock = Stopwatch.StartNew();
        var feeding = Task.Run(async () =>
        {
            foreach (var chunk in market.Chunk(perMessage))
            {
                if (stopFeeds.IsCancellationRequested)
                    break;
                await feed.PublishAsync(Exchanges.MarketCandles, JsonSerializer.Serialize(new MarketCandles { Candles = chunk }, ContractJson.Options), $"fo-{sent}");
                sent++;
                var id = Guid.NewGuid();
                await feed.PublishAsync(Exchanges.PredictionRequested,
                    $$"""{"requestId":"{{id}}","exchange":"sim","symbol":"PLANT/USD","interval":"1m"}""", id.ToString());
                requestIds.Add(id);
                await Task.Delay(40);
            }
        });

        // What a client of the Sentinels sees: a write every 50 ms through its own connection, each failure noted.
        var probeFailures = new List<(TimeSpan At, string Error)>();
        var probeWrites = 0;
        using var stopProbe = new CancellationTokenSource();
        var probe = Task.Run(async () =>
        {
            var db = replicated.GetDatabase();
            while (!stopProbe.IsCancellationRequested)
            {
                try
                {
                    await db.StringSetAsync($"{KeyPrefix}:probe", probeWrites).WaitAsync(TimeSpan.FromSeconds(1));
                    probeWrites++;
                }
                catch (Exception e) when (e is RedisException or TimeoutException)
                {
                    lock (probeFailures)
                        probeFailures.Add((clock.Elapsed, e.GetType().Name));
                }

                await Task.Delay(50);
            }
        });

        // Under load: kill the primary, note when the Sentinels name another and when the workers are ready again.
        await Task.Delay(3_000);
        var (_, killed) = await ClusterAsync("redis-kill-primary", TimeSpan.FromSeconds(30));
        Assert.That(killed, Does.Contain("killed (-9"), killed);
        var killedAt = clock.Elapsed;
        var promotedAt = TimeSpan.Zero;
        var oldPrimary = System.Text.RegularExpressions.Regex.Match(killed, @"redis (\d), the primary").Groups[1].Value;
        while (clock.Elapsed - killedAt < TimeSpan.FromSeconds(60))
        {
            var (_, status) = await ClusterAsync("redis-status", TimeSpan.FromSeconds(30));
            var named = System.Text.RegularExpressions.Regex.Match(status, @"primary \(sentinel 1\): (\d+)");
            if (named.Success && named.Groups[1].Value != (PortBase + int.Parse(oldPrimary, System.Globalization.CultureInfo.InvariantCulture)).ToString(System.Globalization.CultureInfo.InvariantCulture))
            {
                promotedAt = clock.Elapsed;
                break;
            }

            await Task.Delay(200);
        }

        Assert.That(promotedAt, Is.GreaterThan(TimeSpan.Zero), "the Sentinels promoted a replica");
        await Task.Delay(5_000);
        var (restartExit, restarted) = await ClusterAsync($"redis-start-node {oldPrimary}", TimeSpan.FromMinutes(1));
        Assert.That(restartExit, Is.EqualTo(0), restarted);
        await Task.Delay(3_000);
        await stopFeeds.CancelAsync();
        await feeding.WaitAsync(TimeSpan.FromMinutes(4));
        await stopProbe.CancelAsync();
        await probe;
        var sentCandles = sent * perMessage;
        var requests = requestIds.Count;

        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromMinutes(3)
               && (await candleStore.CountAsync(series) < sentCandles || await feed.CountAsync("failover-answers") < requests))
            await Task.Delay(500);
        await Management.WaitForQueueEmptyAsync(VirtualHost, "ingest", TimeSpan.FromSeconds(90));
        await Management.WaitForQueueEmptyAsync(VirtualHost, "inference", TimeSpan.FromSeconds(90));
        await Task.Delay(1_500);

        var stored = await candleStore.CountAsync(series);
        var ingested = (await feed.DrainAsync("failover-ingested")).Select(body => JsonDocument.Parse(body).RootElement).ToList();
        var announced = ingested.DistinctBy(j => j.GetProperty("eventId").GetString())
            .Where(j => j.GetProperty("symbol").GetString() == series.Symbol)
            .SelectMany(j => j.GetProperty("candles").EnumerateArray()).Select(c => c.GetProperty("openTime").GetString()).ToList();
        var answers = (await feed.DrainAsync("failover-answers")).Select(body => JsonDocument.Parse(body).RootElement)
            .Where(j => j.TryGetProperty("requestId", out var r) && r.ValueKind == JsonValueKind.String).ToList();
        var failed = answers.Count(j => j.TryGetProperty("code", out _));
        var answerEvents = answers.Where(j => !j.TryGetProperty("code", out _)).GroupBy(j => j.GetProperty("requestId").GetGuid())
            .ToDictionary(g => g.Key, g => g.Select(j => j.GetProperty("eventId").GetString()).Distinct().Count());
        var answered = requestIds.Count(answerEvents.ContainsKey);
        var doubleAnswers = answerEvents.Values.Count(n => n > 1);
        // The new primary was a replica until the failover, and a replica serves no WAIT: every WAIT it counts came after.
        var workerWaits = await WaitCallsAsync(replicated);
        var deadIngest = await feed.CountAsync("ingest_error");
        var deadInference = await feed.CountAsync("inference_error");

        TestContext.Out.WriteLine($"redis failover: sent {sent} messages × {perMessage} candles and {requests} prediction requests, one each every 40 ms; "
            + $"primary (redis {oldPrimary}) killed at {killedAt.TotalSeconds:F1} s, the Sentinels named another at {promotedAt.TotalSeconds:F1} s "
            + $"(+{(promotedAt - killedAt).TotalSeconds:F1} s), the old primary back as a replica later. counted: stored {stored:N0}, announced "
            + $"{announced.Count:N0} candles, answered {answered}/{requests} ({failed} prediction.failed), dead-lettered {deadIngest} + {deadInference}; "
            + $"a client writing every 50 ms through the Sentinels: {probeWrites} writes succeeded, {probeFailures.Count} failed "
            + (probeFailures.Count == 0 ? "" : $"at {string.Join(", ", probeFailures.Select(f => $"{f.At.TotalSeconds:F1} s ({f.Error})"))} ")
            + $"and every write after went to the new primary; the workers sent {workerWaits} WAITs to the new primary after the failover");
        ReliabilityTable.Add("redis failover: candles", "Redis primary kill -9 under load", sentCandles, stored, announced.Count - announced.Distinct().Count(),
            deadIngest, sentCandles - announced.Distinct().Count());
        ReliabilityTable.Add("redis failover: predictions", "Redis primary kill -9 under load", requests, answered, doubleAnswers, deadInference, requests - answered);

        Assert.Multiple(() =>
        {
            Assert.That(sent, Is.GreaterThan(100), "the load ran through the failover");
            Assert.That(probeWrites, Is.GreaterThan(100), "a client of the Sentinels kept writing");
            Assert.That(workerWaits, Is.GreaterThan(0), "the workers' critical writes waited for a replica (Redis:WaitReplicas=1 reached them)");
            Assert.That(ingest.HasExited || inference.HasExited, Is.False, "both workers survived the failover");
            Assert.That(stored, Is.EqualTo(sentCandles), "every candle stored exactly once, on the new primary");
            Assert.That(announced, Has.Count.EqualTo(sentCandles), "every candle announced under one event id");
            Assert.That(announced.Distinct().Count(), Is.EqualTo(sentCandles), "no candle in two events");
            Assert.That(answered, Is.EqualTo(requests), "every request answered with a prediction");
            Assert.That(failed, Is.Zero, "no request answered with prediction.failed");
            Assert.That(doubleAnswers, Is.Zero, "no request answered twice with different events");
            Assert.That(deadIngest + deadInference, Is.Zero, "nothing dead-lettered: nothing was invalid");
        });
    }
}
