using System.Text;
using System.Text.Json;
using NeuralTrade.Events.Cli;
using NeuralTrade.Events.Contracts;
using NeuralTrade.Events.Messaging;
using NeuralTrade.Events.MarketData;
using NeuralTrade.Events.Workers.Inference;
using NeuralTrade.Events.Workers.Ingest;
using NeuralTrade.Events.Workers.Monitor;
using NeuralTrade.Events.Workers.Registry;
using NeuralTrade.Events.Workers.Training;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace NeuralTrade.Events.IntegrationTests;

/// <summary>
/// The shipped broker definitions on the real broker: every worker does its job with its own user, and nothing more.
/// </summary>
public sealed class BrokerDefinitionsTests : DefinitionsBrokerTest
{
    [Test]
    public void The_password_hash_is_rabbitmqs_salted_sha256()
    {
        // The worked example of RabbitMQ's documentation (https://www.rabbitmq.com/docs/passwords).
        Assert.That(BrokerDefinitions.HashPassword("test12", Convert.FromHexString("908DC60A")), Is.EqualTo("kI3GCqW5JLMJa4iX1lo7X4D6XbYqlLgxIs30+P6tENUV2POR"));
        var error = Assert.Throws<CliException>(() => BrokerDefinitions.Render("{\"password_hash\":\"{{password:ingest}}\"}", _ => null));
        Assert.That(error!.Message, Does.Contain("RABBITMQ_PASSWORD_INGEST"));
    }

    [Test]
    public void The_redis_acl_hashes_passwords_as_redis_does_and_refuses_a_prefix_that_would_widen_a_key_pattern()
    {
        // ACL SETUSER's #<hash>: the hex SHA-256 of the password (sha256("foobar") as in Redis's documentation).
        Assert.That(RedisAcl.HashPassword("foobar"), Is.EqualTo("#c3ab8ff13720e8ad9047dd39466b3c8974e592c2fa383d4a3960714caef0c4f2"));
        var rendered = RedisAcl.Render("# a comment\nuser ingest on {{password:ingest}} ~{{prefix}}:candles:*\n", "fleet-1", _ => "pw");
        Assert.That(rendered, Is.EqualTo($"user ingest on {RedisAcl.HashPassword("pw")} ~fleet-1:candles:*\n"));
        foreach (var prefix in new[] { "*", "nt ~*", "nt:[a]", "" })
            Assert.Throws<CliException>(() => RedisAcl.Render("user x ~{{prefix}}:*", prefix, _ => "pw"), prefix);
        var missing = Assert.Throws<CliException>(() => RedisAcl.Render("user ingest on {{password:ingest}}", "nt", _ => null));
        Assert.That(missing!.Message, Does.Contain("REDIS_PASSWORD_INGEST"));
    }

    [Test]
    public async Task Every_worker_does_its_job_with_its_own_user_and_the_operator_drives_them()
    {
        // Each worker as its own process-alike, logged in as its own user: starting declares its topology, which only its permissions allow.
        await StartHostAsync(b => b.AddIngestWorker(), new Dictionary<string, string?> { ["Messaging:RabbitMqUrl"] = UrlOf("ingest"), ["Redis:Url"] = RedisUrlOf("ingest") });
        var shared = new Dictionary<string, string?> { ["Tracking:LocalDirectory"] = ScratchDirectory, ["Training:PollIntervalMs"] = "100" };
        await StartHostAsync(b => b.AddTrainingWorker(), new Dictionary<string, string?>(shared) { ["Messaging:RabbitMqUrl"] = UrlOf("training"), ["Redis:Url"] = RedisUrlOf("training") });
        await StartHostAsync(b => b.AddRegistryWorker(), new Dictionary<string, string?>(shared) { ["Messaging:RabbitMqUrl"] = UrlOf("registry"), ["Redis:Url"] = RedisUrlOf("registry") });
        await StartHostAsync(b => b.AddInferenceWorker(), new Dictionary<string, string?>(shared)
        {
            ["Messaging:RabbitMqUrl"] = UrlOf("inference"), ["Redis:Url"] = RedisUrlOf("inference"), ["Inference:InstanceId"] = "perm",
        });
        await StartHostAsync(b => b.AddMonitorWorker(), new Dictionary<string, string?>(shared) { ["Messaging:RabbitMqUrl"] = UrlOf("monitor"), ["Redis:Url"] = RedisUrlOf("monitor") });

        // A feed with its own user publishes candles; Ingest stores them and announces them to Inference and Monitor.
        var series = new SeriesKey("sim", "PERM/USD", "1m");
        var candles = new MarketSimulator(new SimulatedMarket { Exchange = series.Exchange, Symbol = series.Symbol, Seed = 3 }).Generate(60).ToList();
        await using (var feed = await RawAmqp.ConnectAsync(UrlOf("feed")))
            await feed.PublishAsync(Exchanges.MarketCandles, JsonSerializer.Serialize(new MarketCandles { Candles = candles }, ContractJson.Options));
        for (var i = 0; i < 100 && await CandleStore.CountAsync(series) < 60; i++)
            await Task.Delay(100);
        Assert.That(await CandleStore.CountAsync(series), Is.EqualTo(60), "stored by Ingest");
        await Management.WaitForQueueEmptyAsync(VirtualHost, "inference-stream", TimeSpan.FromSeconds(30));
        await Management.WaitForQueueEmptyAsync(VirtualHost, "monitor", TimeSpan.FromSeconds(30));

        // The operator's tool with the operator's user: Inference answers, Training reports, Registry dead-letters a bad command.
        var (predict, answer) = await CliAsync("operator", "predict", "--exchange", "sim", "--symbol", "PERM/USD", "--interval", "1m", "--timeout", "20");
        Assert.That((predict, answer.Contains("no_model", StringComparison.Ordinal)), Is.EqualTo((ExitCodes.Failed, true)), answer);
        var (train, trained) = await CliAsync("operator", "train", "--exchange", "sim", "--symbol", "NONE/USD", "--interval", "1m", "--wait", "--timeout", "60");
        Assert.That((train, trained.Contains("training.failed", StringComparison.Ordinal)), Is.EqualTo((ExitCodes.Failed, true)), trained);
        var (rollback, refused) = await CliAsync("operator", "models", "rollback", "signal-sim-none-1m", "--timeout", "30");
        Assert.That((rollback, refused.Contains("has no champion to roll back from", StringComparison.Ordinal)), Is.EqualTo((ExitCodes.Failed, true)), refused);
        var (show, shown) = await CliAsync("operator", "dlq", "show", "registry-rollback_error");
        Assert.That((show, shown.Contains("has no champion", StringComparison.Ordinal)), Is.EqualTo((ExitCodes.Ok, true)), shown);
        // The operator replays into a queue whose input it may publish itself (the command dead-letters again, and is
        // not lost), and is refused a replay into a queue that takes only what workers publish, losing nothing.
        var (replay, replayed) = await CliAsync("operator", "dlq", "replay", "registry-rollback_error");
        Assert.That((replay, replayed.Contains("replayed 1 message(s)", StringComparison.Ordinal)), Is.EqualTo((ExitCodes.Ok, true)), replayed);
        for (var i = 0; i < 150 && await DepthAsync("registry-rollback_error") != 1; i++)
            await Task.Delay(200);
        Assert.That(await DepthAsync("registry-rollback_error"), Is.EqualTo(1), "dead-lettered again after the replay");
        var (forge, forged) = await CliAsync("operator", "dlq", "replay", "registry-rollback_error", "--to", "registry");
        Assert.That((forge, forged.Contains("refused to replay into 'registry'", StringComparison.Ordinal)), Is.EqualTo((ExitCodes.Failed, true)), forged);
        Assert.That(await DepthAsync("registry-rollback_error"), Is.EqualTo(1), "nothing removed");

        var (queues, depths) = await CliAsync("operator", "queues");
        Assert.That((queues, depths.Contains("registry-rollback_error", StringComparison.Ordinal)), Is.EqualTo((ExitCodes.Ok, true)), depths);

        // The dead-letter policy applies to every _error queue.
        string? policy = null;
        for (var i = 0; i < 50 && policy is null; i++)
        {
            var errorQueue = await Management.GetQueueAsync(VirtualHost, "registry-rollback_error");
            policy = errorQueue.TryGetProperty("policy", out var p) && p.ValueKind == JsonValueKind.String ? p.GetString() : null;
            if (policy is null)
                await Task.Delay(200);
        }

        Assert.That(policy, Is.EqualTo("dead-letters"));
    }

    static readonly (string User, string Action, string Resource)[] Refusals =
    [
        ("ingest", "consume", "training"),
        ("ingest", "publish", Exchanges.TrainingRequested),
        ("ingest", "declare", "training"),
        ("feed", "consume", "ingest"),
        ("feed", "publish", Exchanges.DataIngested),
        ("training", "publish", Exchanges.ModelDeployed),
        ("registry", "consume", "inference"),
        ("inference", "publish", Exchanges.ModelDeployed),
        ("monitor", "consume", "inference"),
        ("monitor", "publish", Exchanges.PredictionCompleted),
        ("operator", "consume", "ingest"),
        ("operator", "publish", Exchanges.DataIngested),
        ("operator", "publish", ""),
        ("operator", "publish", "registry"),
        ("operator", "publish", "inference-swap-perm"),
        ("operator", "publish", "monitor"),
        ("operator", "publish", Exchanges.ModelDeployed),
        ("operator", "publish", Exchanges.TrainingCompleted),
        ("operator", "declare-exchange", Exchanges.MarketCandles),
        ("operator", "declare-exchange", Exchanges.ModelDeployed),
        ("operator", "declare", "ingest"),
        ("operator", "declare", "ingest_error"),
        ("feed", "publish", ""),
        ("feed", "declare-exchange", Exchanges.DataRejected),
        ("feed", "bind", "feed-peek:" + Exchanges.DataIngested),
        ("feed", "declare", "trading-x"),
        ("feed", "declare-exchange", Exchanges.MarketCandles),
        ("trading", "publish", Exchanges.MarketCandles),
        ("trading", "publish", Exchanges.TrainingRequested),
        ("trading", "publish", Exchanges.ModelDeployed),
        ("trading", "publish", ""),
        ("trading", "bind", "trading-peek:" + Exchanges.DataIngested),
        ("trading", "consume", "inference"),
        ("trading", "declare", "feed-x"),
        ("trading", "declare-exchange", Exchanges.PredictionRequested),
        ("trading", "publish", Exchanges.PredictionCompletedBySeries),
        ("feed", "bind", "feed-series:" + Exchanges.PredictionCompletedBySeries),
        ("monitor", "publish", Exchanges.PredictionCompletedBySeries),
    ];

    static readonly (string User, string Action, string Resource)[] Allowed =
    [
        ("ingest", "consume", "ingest"),
        ("ingest", "publish", Exchanges.DataIngested),
        ("feed", "publish", Exchanges.MarketCandles),
        ("training", "consume", "training"),
        ("operator", "publish", Exchanges.TrainingRequested),
        ("operator", "consume", "ingest_error"),
        ("operator", "publish", "ingest"),
        ("operator", "publish", Exchanges.ModelPromote),
        ("feed", "bind", "feed-rejections:" + Exchanges.DataRejected),
        ("feed", "consume", "feed-rejections"),
        ("trading", "publish", Exchanges.PredictionRequested),
        ("trading", "bind", "trading-answers:" + Exchanges.PredictionCompleted),
        ("trading", "bind", "trading-answers:" + Exchanges.PredictionFailed),
        ("trading", "consume", "trading-answers"),
        ("trading", "bind", "trading-series:" + Exchanges.PredictionCompletedBySeries),
    ];

    [Test]
    public async Task A_worker_user_can_do_its_job_and_is_refused_everything_else()
    {
        // The definitions declared the work queues; the one per-instance queue is declared as an Inference instance
        // declares it. A refusal is then about permissions, not a missing queue.
        await using (var admin = await new ConnectionFactory { Uri = new Uri(UrlOf("admin")) }.CreateConnectionAsync())
        await using (var channel = await admin.CreateChannelAsync())
        {
            var arguments = QueueTopology.WorkQueueArguments("inference-swap-perm", new MessagingOptions().DeliveryLimit)
                .ToDictionary(a => a.Key, a => (object?)a.Value);
            arguments[QueueTopology.Expires] = (long)QueueTopology.InstanceQueueExpiry.TotalMilliseconds;
            await channel.QueueDeclareAsync("inference-swap-perm", durable: true, exclusive: false, autoDelete: false, arguments);
            await channel.ExchangeDeclareAsync("inference-swap-perm", ExchangeType.Fanout, durable: true);
            await channel.QueueBindAsync("inference-swap-perm", "inference-swap-perm", "");
        }

        var wrong = new List<string>();
        foreach (var (user, action, resource) in Refusals)
        {
            if (await AttemptAsync(user, action, resource) is not 403)
                wrong.Add($"{user} could {action} {resource}");
        }

        foreach (var (user, action, resource) in Allowed)
        {
            if (await AttemptAsync(user, action, resource) is { } code)
                wrong.Add($"{user} could not {action} {resource} ({code})");
        }

        Assert.That(wrong, Is.Empty);
    }

    /// <summary>What each Redis user of deploy/redis/users.acl.template may do: (user, command with {p} for the key prefix, allowed).</summary>
    static readonly (string User, string[] Command, bool Allowed)[] RedisRules =
    [
        ("registry", ["SET", "{p}:registry:model:x:champion", "1"], true),
        ("inference", ["GET", "{p}:registry:model:x:champion"], true),
        ("inference", ["SET", "{p}:registry:model:x:champion", "2"], false),
        ("inference", ["HSET", "{p}:registry:champions", "x", "2"], false),
        ("monitor", ["SET", "{p}:registry:model:x:champion", "2"], false),
        ("training", ["GET", "{p}:registry:model:x:champion"], false),
        ("training", ["SET", "{p}:training:job:x", "1"], true),
        ("ingest", ["SET", "{p}:candles:{x}:values", "1"], true),
        ("ingest", ["SET", "{p}:registry:model:x:champion", "2"], false),
        ("inference", ["SET", "{p}:candles:{x}:values", "2"], false),
        ("inference", ["SET", "{p}:inference:latest:x", "1"], true),
        ("registry", ["SET", "{p}:candles:{x}:values", "2"], false),
        ("monitor", ["SET", "{p}:monitor:x", "1"], true),
        ("operator", ["GET", "{p}:registry:model:x:champion"], true),
        ("operator", ["SET", "{p}:registry:model:x:champion", "2"], false),
        ("ingest", ["SET", "other:registry:model:x:champion", "2"], false),
        ("registry", ["EVAL", "return redis.call('SET', KEYS[1], '3')", "1", "{p}:registry:model:x:champion"], true),
        ("inference", ["EVAL", "return redis.call('SET', KEYS[1], '3')", "1", "{p}:registry:model:x:champion"], false),
        ("inference", ["EVAL", "return redis.call('SET', '{p}:registry:model:x:champion', '3')", "0"], false),
        ("inference", ["FLUSHALL"], false),
        ("registry", ["KEYS", "*"], false),
        ("monitor", ["CONFIG", "SET", "appendonly", "no"], false),
        ("ingest", ["FUNCTION", "FLUSH"], false),
        ("training", ["PUBLISH", "x", "y"], false),
    ];

    [Test]
    public async Task A_worker_redis_user_touches_only_its_own_keys_with_a_stores_commands()
    {
        var wrong = new List<string>();
        foreach (var (user, command, allowed) in RedisRules)
        {
            var args = command.Select(a => a.Replace("{p}", KeyPrefix, StringComparison.Ordinal)).ToArray();
            await using var redis = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(
                new NeuralTrade.Events.Stores.RedisOptions { Url = RedisUrlOf(user) }.ToConfigurationOptions());
            string? refusal = null;
            try
            {
                await redis.GetDatabase().ExecuteAsync(args[0], args[1..].Cast<object>().ToArray());
            }
            catch (StackExchange.Redis.RedisServerException e)
            {
                refusal = e.Message;
            }

            if (allowed && refusal is not null)
                wrong.Add($"{user} could not {string.Join(' ', args)} ({refusal})");
            if (!allowed && refusal is null)
                wrong.Add($"{user} could {string.Join(' ', args)}");
            // Inside a script Redis words the same refusal as "ERR The user executing the script can't access…".
            else if (!allowed && !refusal!.Contains("NOPERM", StringComparison.Ordinal) && !refusal.Contains("can't access", StringComparison.Ordinal))
                wrong.Add($"{user} {string.Join(' ', args)} failed for another reason than permissions: {refusal}");
        }

        Assert.That(wrong, Is.Empty);
    }

    /// <summary>Tries one thing as a user; null when the broker allowed it, else the AMQP reply code (403 ACCESS_REFUSED).</summary>
    async Task<int?> AttemptAsync(string user, string action, string resource) => (await AsUserAsync(user, async channel =>
    {
        switch (action)
        {
            case "consume":
                var tag = await channel.BasicConsumeAsync(resource, autoAck: false, new AsyncEventingBasicConsumerStub(channel));
                await channel.BasicCancelAsync(tag);
                break;
            case "publish":
                await channel.BasicPublishAsync(resource, "", mandatory: false, new BasicProperties { ContentType = "application/json" },
                    Encoding.UTF8.GetBytes("{}"));
                break;
            case "declare":
                await channel.QueueDeclareAsync(resource, durable: true, exclusive: false, autoDelete: false);
                break;
            case "declare-exchange":
                await channel.ExchangeDeclareAsync(resource, ExchangeType.Fanout, durable: true);
                break;
            case "bind": // "queue:exchange": a queue of the user's own, bound to an exchange
                var (queue, exchange) = (resource.Split(':')[0], resource.Split(':')[1]);
                await channel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false);
                await channel.QueueBindAsync(queue, exchange, "");
                break;
        }
    })).Code;

    sealed class AsyncEventingBasicConsumerStub(IChannel channel) : AsyncDefaultBasicConsumer(channel);
}
