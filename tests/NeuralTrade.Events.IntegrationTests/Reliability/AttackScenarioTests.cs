using System.Diagnostics;
using System.Text;
using System.Text.Json;
using NeuralTrade.Events.Contracts;
using NeuralTrade.Events.MarketData;
using NeuralTrade.Events.Modeling;
using NeuralTrade.Events.Testing;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace NeuralTrade.Events.IntegrationTests.Reliability;

/// <summary>
/// Reliability scenario "attack" (issue 18): the shipped broker definitions and Redis ACL, Ingest, Training, Registry,
/// Inference and Monitor as separate processes, each with its own broker and Redis user, a champion serving a series. Every
/// attack of docs/threat-model.md is made as the broker user an attacker would hold, and every public exchange a worker
/// consumes is fuzzed with malformed and oversized bodies (those only workers write, as a stolen worker credential). Each attack must be refused with a stated
/// reason (by the broker, or by a worker: a dead letter, a failed answer); the served model, the registry's record and
/// the victim's candles must be unchanged; the workers must keep serving; no process may print a password.
/// NEURALTRADE_ATTACK_FUZZ sets the fuzzed bodies per exchange (default 14, two of each kind, the CI run).
/// </summary>
[Category("Reliability")]
public sealed class AttackScenarioTests : DefinitionsBrokerTest
{
    sealed record Row(string Attack, string User, string Outcome, string Evidence, bool Held);

    readonly List<Row> _table = [];

    void Record(string attack, string user, string outcome, string evidence, bool held) => _table.Add(new Row(attack, user, outcome, evidence, held));

    [Test]
    public async Task Every_attack_is_refused_with_a_reason_and_nothing_served_or_stored_changes()
    {
        var victim = TrainedModels.Series;
        await CandleStore.AppendAsync(victim, TrainedModels.Market, null);
        var champion = await RegisterTrainedModelAsync("attack-v1", champion: true);
        var logs = Path.Combine(ScratchDirectory, "logs");
        var workers = new List<WorkerProcess>();
        foreach (var worker in new[] { "Ingest", "Training", "Registry", "Inference", "Monitor" })
        {
            var user = worker.ToLowerInvariant();
            workers.Add(await WorkerProcess.StartAsync(worker, new Dictionary<string, string>
            {
                ["RABBITMQ_URL"] = UrlOf(user), ["REDIS_URL"] = RedisUrlOf(user), ["Redis__KeyPrefix"] = KeyPrefix,
                ["Tracking__LocalDirectory"] = ScratchDirectory, ["Inference__InstanceId"] = "attack", ["Training__PollIntervalMs"] = "100",
            }, logs));
        }

        try
        {
            await AttackAsync(champion, workers, logs);
        }
        finally
        {
            foreach (var worker in workers)
                await worker.DisposeAsync();
        }
    }

    async Task AttackAsync(Stores.RegisteredVersion champion, List<WorkerProcess> workers, string logs)
    {
        var victim = TrainedModels.Series;
        var fuzzPerExchange = int.TryParse(Environment.GetEnvironmentVariable("NEURALTRADE_ATTACK_FUZZ"), out var n) && n > 0 ? n : 14;
        var answers = await Amqp.TapAsync(Exchanges.PredictionCompleted);
        var failures = await Amqp.TapAsync(Exchanges.PredictionFailed);
        var trainingFailures = await Amqp.TapAsync(Exchanges.TrainingFailed);
        var before = await SnapshotAsync(victim);

        await BrokerRefusalsAsync();
        await WorkerRefusalsAsync(champion, answers, failures, trainingFailures);
        var fuzzed = await FuzzAsync(fuzzPerExchange);
        var after = await SnapshotAsync(victim);
        PrintTable(fuzzed);

        // The workers keep serving: a genuine request is answered by the champion; a genuine batch is stored.
        var request = Guid.NewGuid();
        await PublishAsAsync("trading", Exchanges.PredictionRequested,
            $$"""{"requestId":"{{request}}","exchange":"{{victim.Exchange}}","symbol":"{{victim.Symbol}}","interval":"{{victim.Interval}}"}""");
        // The tap has also seen the malformed bodies fuzzed onto prediction.completed: pick the answer out by its requestId.
        var served = await answers.WaitAsync(r => r.Any(d => RequestIdOf(d) == request), TimeSpan.FromSeconds(60), "the genuine request");
        var version = served.Single(d => RequestIdOf(d) == request).Json.GetProperty("model").GetProperty("version").GetInt32();
        var printed = Directory.GetFiles(logs).SelectMany(f => Passwords.Where(File.ReadAllText(f).Contains).Select(_ => Path.GetFileName(f))).ToList();

        ReliabilityTable.Add("attacks", "forged, oversized, injected and stolen-credential messages", _table.Count(r => !r.Attack.StartsWith("fuzz", StringComparison.Ordinal)),
            0, 0, 0, _table.Count(r => !r.Held));
        Assert.Multiple(() =>
        {
            Assert.That(_table.Where(r => !r.Held).Select(r => $"{r.Attack} as {r.User}: {r.Outcome} ({r.Evidence})"), Is.Empty, "every attack refused");
            Assert.That(after, Is.EqualTo(before), "registry record, victim's candles and prediction cache unchanged");
            Assert.That(version, Is.EqualTo(champion.Version), "the champion still serves");
            Assert.That(workers.Where(w => w.HasExited), Is.Empty, "no worker stopped");
            Assert.That(printed, Is.Empty, "no password in any worker's output");
        });
    }

    /// <summary>What the broker refuses before any worker sees it: writes beyond a user's permissions, deletes, oversized bodies.</summary>
    async Task BrokerRefusalsAsync()
    {
        var forged = JsonSerializer.Serialize(new { modelName = TrainedModels.ModelName, version = 99, runId = "forged",
            artifact = new { uri = "file:///etc/passwd", sha256 = new string('0', 64), sizeBytes = 1 } });
        foreach (var (user, exchange, routingKey, what) in new[]
                 {
                     ("feed", Exchanges.ModelDeployed, "", "forged model.deployed"),
                     ("trading", Exchanges.ModelDeployed, "", "forged model.deployed"),
                     ("operator", Exchanges.ModelDeployed, "", "forged model.deployed"),
                     ("operator", Exchanges.TrainingCompleted, "", "forged training.completed (to reach the gate)"),
                     ("operator", "", "inference-swap-attack", "forged model.deployed into a worker queue (default exchange)"),
                     ("operator", "", "registry", "forged training.completed into the Registry's queue (default exchange)"),
                     ("trading", Exchanges.MarketCandles, "", "candles from a trading service"),
                     ("feed", Exchanges.TrainingRequested, "", "training.requested from a feed"),
                 })
        {
            var (code, text) = await PublishAsAsync(user, exchange, forged, routingKey);
            Record(what, user, code is null ? "DELIVERED" : $"refused by the broker ({code})", text, code == 403);
        }

        foreach (var (user, exchange) in new[] { ("feed", Exchanges.MarketCandles), ("operator", Exchanges.ModelDeployed), ("trading", Exchanges.PredictionRequested) })
        {
            var (code, text) = await AsUserAsync(user, c => c.ExchangeDeleteAsync(exchange));
            Record($"delete exchange {exchange}", user, code is null ? "DELETED" : $"refused by the broker ({code})", text, code == 403);
        }

        var oversized = new byte[33 * 1024 * 1024];
        Array.Fill(oversized, (byte)' ');
        foreach (var (user, exchange) in new[] { ("feed", Exchanges.MarketCandles), ("trading", Exchanges.PredictionRequested), ("operator", Exchanges.TrainingRequested) })
        {
            var (code, text) = await AsUserAsync(user, c => c.BasicPublishAsync(exchange, "", false, new BasicProperties { ContentType = "application/json" }, oversized));
            Record($"33 MiB body to {exchange}", user, code is null ? "DELIVERED" : $"refused by the broker ({code})", text, code == 406);
        }
    }

    /// <summary>What reaches a worker and is refused there, with the reason in a dead letter or a failed answer.</summary>
    async Task WorkerRefusalsAsync(Stores.RegisteredVersion champion, Tap answers, Tap failures, Tap trainingFailures)
    {
        // A stolen Registry credential can publish model.deployed; Inference still acts only on the Registry's record.
        foreach (var (what, uri, sha) in new[]
                 {
                     ("model.deployed naming an internal URL (SSRF)", "http://169.254.169.254/latest/meta-data/", champion.Artifact.Sha256),
                     ("model.deployed naming a local path", "file:///etc/passwd", champion.Artifact.Sha256),
                     ("model.deployed without a digest", champion.Artifact.Uri, ""),
                 })
        {
            var body = JsonSerializer.Serialize(new ModelDeployed
            {
                ModelName = champion.ModelName, Version = champion.Version + 1, RunId = "forged",
                Artifact = champion.Artifact with { Uri = uri, Sha256 = sha }, Metrics = champion.Metrics,
            }, ContractJson.Options);
            var reason = await DeadLetterAfterAsync("inference-swap-attack_error", () => PublishAsAsync("registry", Exchanges.ModelDeployed, body));
            Record(what, "registry (stolen)", reason is null ? "NOT REFUSED" : "refused by Inference (dead letter)", reason ?? "-", reason is not null);
        }

        var tooMany = Enumerable.Range(0, 5_000).Select(i => TrainedModels.Market[i % TrainedModels.Market.Count]).ToList();
        var (failed, error) = await AskAsync(failures, new PredictionRequested
        {
            RequestId = Guid.NewGuid(), Exchange = TrainedModels.Series.Exchange, Symbol = TrainedModels.Series.Symbol,
            Interval = TrainedModels.Series.Interval, Candles = tooMany,
        });
        Record("prediction.requested with 5,000 candles", "trading", failed ? "refused by Inference (prediction.failed)" : "ANSWERED", error, failed);

        // A caller's own window is answered, but never cached or streamed as the fleet's prediction.
        var cacheBefore = await Redis.GetDatabase().StringGetAsync($"{KeyPrefix}:inference:latest:{TrainedModels.Series}");
        var window = TrainedModels.Market.Take(600).Select(c => c with { Close = c.Close * 1.5m, High = c.High * 1.5m, Open = c.Open * 1.5m, Low = c.Low * 1.5m }).ToList();
        var id = Guid.NewGuid();
        await PublishAsAsync("trading", Exchanges.PredictionRequested, JsonSerializer.Serialize(new PredictionRequested
        {
            RequestId = id, Exchange = TrainedModels.Series.Exchange, Symbol = TrainedModels.Series.Symbol, Interval = TrainedModels.Series.Interval, Candles = window,
        }, ContractJson.Options));
        await answers.WaitAsync(r => r.Any(d => d.Json.GetProperty("requestId").GetGuid() == id), TimeSpan.FromSeconds(30), "the caller-window answer");
        var cacheAfter = await Redis.GetDatabase().StringGetAsync($"{KeyPrefix}:inference:latest:{TrainedModels.Series}");
        Record("caller-supplied window to poison the cache", "trading", cacheAfter == cacheBefore ? "answered to the caller only" : "CACHED",
            $"cache for {TrainedModels.Series} {(cacheBefore.IsNull ? "empty" : "set")} before and after", cacheAfter == cacheBefore);

        var budget = Guid.NewGuid();
        await PublishAsAsync("operator", Exchanges.TrainingRequested, $$$"""
            {"requestId":"{{{budget}}}","exchange":"sim","symbol":"PLANT/USD","interval":"1m","reason":"manual",
             "hyperparameters":{"hiddenSize":1024,"numLayers":8,"windowSize":512,"epochs":1000}}
            """);
        var refusedRun = await trainingFailures.WaitAsync(r => r.Any(d => d.Json.GetProperty("requestId").GetGuid() == budget), TimeSpan.FromSeconds(60), "the budget refusal");
        var budgetError = refusedRun.First(d => d.Json.GetProperty("requestId").GetGuid() == budget).Json.GetProperty("error").GetString()!;
        Record("training over the compute budget", "operator", "refused by Training (training.failed)", budgetError, budgetError.Contains("budget", StringComparison.Ordinal));

        // Another series whose name collided with the victim's under the old naming gets a model name of its own.
        var lookalike = new SeriesKey("sim", "PLANT-USD", "1m");
        var stored = await StoreAsAsync("feed", lookalike, Guid.NewGuid().ToString());
        Record("series name collision (sim:PLANT-USD:1m vs sim:PLANT/USD:1m)", "feed", "stored under its own series and model name",
            $"{ModelNames.For(lookalike)} ≠ {ModelNames.For(TrainedModels.Series)}; {stored} candles stored",
            ModelNames.For(lookalike) != ModelNames.For(TrainedModels.Series) && stored > 0);

        // A batch under a message_id another publisher used first is still processed: replay keys are per publisher and body.
        var sharedId = Guid.NewGuid().ToString();
        var first = await StoreAsAsync("feed", new SeriesKey("sim", "FIRST/USD", "1m"), sharedId);
        var second = await StoreAsAsync("operator", new SeriesKey("sim", "SECOND/USD", "1m"), sharedId);
        Record("reuse another publisher's message_id to get a batch ignored", "operator", second > 0 ? "processed, not ignored" : "IGNORED",
            $"{first} and {second} candles stored under the same message_id", first > 0 && second > 0);
    }

    /// <summary>
    /// Malformed bodies on every public exchange a worker consumes: as the outside users that may write them, and, for
    /// those only workers write, as that worker's (stolen) credential. Each body must end in its consumers' dead-letter queues.
    /// </summary>
    async Task<List<string>> FuzzAsync(int count)
    {
        var summary = new List<string>();
        foreach (var (user, exchange, errorQueues) in new (string, string, string[])[]
                 {
                     ("feed", Exchanges.MarketCandles, ["ingest_error"]), ("trading", Exchanges.PredictionRequested, ["inference_error"]),
                     ("operator", Exchanges.TrainingRequested, ["training_error"]), ("operator", Exchanges.ModelPromote, ["registry-promote_error"]),
                     ("operator", Exchanges.ModelRollback, ["registry-rollback_error"]),
                     ("ingest", Exchanges.DataIngested, ["inference-stream_error", "monitor_error"]),
                     ("training", Exchanges.TrainingCompleted, ["registry_error"]), ("registry", Exchanges.ModelDeployed, ["inference-swap-attack_error"]),
                     ("inference", Exchanges.PredictionCompleted, ["monitor-predictions_error"]),
                 })
        {
            var before = new List<uint>();
            foreach (var queue in errorQueues)
                before.Add(await DepthAsync(queue));
            var random = new Random(HashCode.Combine(exchange.Length, count));
            var published = new List<string>();
            for (var i = 0; i < count; i++)
                published.Add((await PublishAsAsync(user, exchange, Malformed(random, i))).Text);
            var dead = new uint[errorQueues.Length];
            var deadline = Stopwatch.StartNew();
            while (true)
            {
                for (var q = 0; q < errorQueues.Length; q++)
                    dead[q] = await DepthAsync(errorQueues[q]) - before[q];
                if (dead.All(d => d >= count) || deadline.Elapsed > TimeSpan.FromSeconds(45))
                    break;
                await Task.Delay(250);
            }

            var counted = string.Join(", ", errorQueues.Select((queue, q) => $"{dead[q]} in {queue}"));
            summary.Add($"{exchange} as {user}: {count} malformed bodies ({string.Join(", ", published.GroupBy(p => p).Select(g => $"{g.Count()} {g.Key}"))}), " +
                $"dead-lettered {counted}");
            Record($"fuzz {exchange} ({count} malformed bodies)", user, $"dead-lettered {counted}", string.Join(", ", errorQueues), dead.All(d => d == count));
            ReliabilityTable.Add($"attack fuzz: {exchange}", $"{count} malformed bodies (up to 4 MiB) as {user}", count, 0, 0, dead.Min(), count - dead.Min());
        }

        return summary;
    }

    /// <summary>A body no consumer can read: bytes that are not UTF-8, truncated or non-object JSON, deep nesting, a huge number, a 4 MiB string.</summary>
    static byte[] Malformed(Random random, int i) => (i % 7) switch
    {
        0 => Enumerable.Range(0, 64).Select(_ => (byte)random.Next(128, 256)).ToArray(),
        1 => "{\"requestId\":\"0f8fad5b-d9cb"u8.ToArray(),
        2 => "[1,2,3]"u8.ToArray(),
        3 => Encoding.UTF8.GetBytes(new string('[', 100_000) + new string(']', 100_000)),
        4 => "\"just a string\""u8.ToArray(),
        5 => "{\"requestId\":1e400,\"modelName\":[],\"candles\":{}}"u8.ToArray(),
        _ => Encoding.UTF8.GetBytes("{\"x\":\"" + new string('a', 4 * 1024 * 1024) + "\""),
    };

    /// <summary>The requestId of a delivery, or null for a body that is not a JSON object with one (a fuzzed body).</summary>
    static Guid? RequestIdOf(Delivery delivery)
    {
        try
        {
            return delivery.Json.ValueKind == JsonValueKind.Object && delivery.Json.TryGetProperty("requestId", out var id)
                && id.ValueKind == JsonValueKind.String && id.TryGetGuid(out var guid) ? guid : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    async Task<(bool Failed, string Error)> AskAsync(Tap failures, PredictionRequested request)
    {
        await PublishAsAsync("trading", Exchanges.PredictionRequested, JsonSerializer.Serialize(request, ContractJson.Options));
        var got = await failures.WaitAsync(r => r.Any(d => d.Json.GetProperty("requestId").GetGuid() == request.RequestId), TimeSpan.FromSeconds(30), "the refusal");
        var answer = got.First(d => d.Json.GetProperty("requestId").GetGuid() == request.RequestId).Json;
        return (true, $"{answer.GetProperty("code").GetString()}: {answer.GetProperty("error").GetString()}");
    }

    /// <summary>Publishes 5 candles of a series as a user under a message_id; how many the store holds afterwards.</summary>
    async Task<long> StoreAsAsync(string user, SeriesKey series, string messageId)
    {
        var candles = new MarketSimulator(new SimulatedMarket { Exchange = series.Exchange, Symbol = series.Symbol, Seed = 5 }).Generate(5).ToList();
        await PublishAsAsync(user, Exchanges.MarketCandles, JsonSerializer.Serialize(new MarketCandles { Candles = candles }, ContractJson.Options), messageId: messageId);
        for (var i = 0; i < 100 && await CandleStore.CountAsync(series) < 5; i++)
            await Task.Delay(100);
        return await CandleStore.CountAsync(series);
    }

    /// <summary>Runs <paramref name="act"/> and returns the reason of the next dead letter in <paramref name="queue"/> (null if none came).</summary>
    async Task<string?> DeadLetterAfterAsync(string queue, Func<Task> act)
    {
        var before = await DepthAsync(queue);
        await act();
        for (var i = 0; i < 150 && await DepthAsync(queue) <= before; i++)
            await Task.Delay(200);
        if (await DepthAsync(queue) <= before)
            return null;
        var letters = await PeekAsync(queue);
        return letters[^1];
    }

    /// <summary>The MT-Fault-Message of every letter in a queue, leaving them there (basic.get without ack, then requeued).</summary>
    async Task<List<string>> PeekAsync(string queue)
    {
        await using var connection = await new ConnectionFactory { Uri = new Uri(UrlOf("admin")) }.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        var reasons = new List<string>();
        while (await channel.BasicGetAsync(queue, autoAck: false) is { } letter)
            reasons.Add(letter.BasicProperties.Headers?.TryGetValue("MT-Fault-Message", out var m) == true && m is byte[] b ? Encoding.UTF8.GetString(b) : "(no reason)");
        return reasons;
    }

    /// <summary>The registry's record (every key), the victim's candle count and cached prediction: what an attack must not change.</summary>
    async Task<string> SnapshotAsync(SeriesKey victim)
    {
        var server = Redis.GetServers().First();
        var registry = new List<string>();
        foreach (var key in server.Keys(pattern: $"{KeyPrefix}:registry:*").OrderBy(k => k.ToString()))
        {
            var dump = await Redis.GetDatabase().KeyDumpAsync(key);
            registry.Add($"{key}={Convert.ToHexString(dump ?? [])}");
        }

        var cached = await Redis.GetDatabase().StringGetAsync($"{KeyPrefix}:inference:latest:{victim}");
        return $"{string.Join(';', registry).GetHashCode():X}|candles {await CandleStore.CountAsync(victim)}|cache {cached}";
    }

    Task<(int? Code, string Text)> PublishAsAsync(string user, string exchange, string body, string routingKey = "", string? messageId = null) =>
        AsUserAsync(user, c => c.BasicPublishAsync(exchange, routingKey, false, new BasicProperties
        {
            ContentType = "application/json", MessageId = messageId ?? Guid.NewGuid().ToString(), DeliveryMode = DeliveryModes.Persistent,
        }, Encoding.UTF8.GetBytes(body)));

    Task<(int? Code, string Text)> PublishAsAsync(string user, string exchange, byte[] body) =>
        AsUserAsync(user, c => c.BasicPublishAsync(exchange, "", false, new BasicProperties
        {
            ContentType = "application/json", MessageId = Guid.NewGuid().ToString(), DeliveryMode = DeliveryModes.Persistent,
        }, body));

    Task<(int? Code, string Text)> AsUserAsync(string user, Func<IChannel, ValueTask> act) => AsUserAsync(user, c => act(c).AsTask());

    void PrintTable(List<string> fuzzed)
    {
        var text = new StringBuilder("attack | user | outcome | evidence\n--- | --- | --- | ---\n");
        foreach (var row in _table)
            text.AppendLine($"{row.Attack} | {row.User} | {row.Outcome} | {row.Evidence.ReplaceLineEndings(" ")}");
        text.AppendLine($"counted: {_table.Count} attacks, {_table.Count(r => r.Held)} refused as required; " + string.Join("; ", fuzzed));
        TestContext.Out.WriteLine(text.ToString());
    }
}
