using NeuralTrade.Events.Cli;
using NeuralTrade.Events.Contracts;
using NeuralTrade.Events.MarketData;
using NeuralTrade.Events.Testing;
using NeuralTrade.Events.Workers.Inference;
using NeuralTrade.Events.Workers.Ingest;
using NeuralTrade.Events.Workers.Registry;
using NeuralTrade.Events.Workers.Training;

namespace NeuralTrade.Events.IntegrationTests;

/// <summary>The operators' tool against the real broker and Redis, with the workers it talks to running as they do in production.</summary>
public sealed class CliBrokerTests : BrokerTest
{
    static readonly SeriesKey Series = new("sim", "CLI/USD", "1m");

    static void Exits((int Code, string Output) result, int code, string contains)
    {
        Assert.That(result.Code, Is.EqualTo(code), result.Output);
        Assert.That(result.Output, Does.Contain(contains));
    }

    CliSettings Settings(string? rabbitMqUrl = null) =>
        new(rabbitMqUrl ?? Services.UrlFor(VirtualHost), Services.ManagementUrl, Services.RedisUrl, KeyPrefix);

    /// <summary>Runs <c>neuraltrade ARGS</c> in process and returns its exit code and everything it printed.</summary>
    async Task<(int Code, string Output)> CliAsync(params string[] args) => await CliAsync(Settings(), args);

    static Task<(int Code, string Output)> CliAsync(CliSettings settings, params string[] args) => CliRun.RunAsync(settings, args);

    [Test]
    public async Task Candles_publish_sends_a_csv_to_ingest_which_stores_every_candle()
    {
        await StartHostAsync(b => b.AddIngestWorker());
        var file = Path.Combine(ScratchDirectory, "candles.csv");
        Directory.CreateDirectory(ScratchDirectory);
        await using (var writer = File.CreateText(file))
            CandleCsv.Write(writer, new MarketSimulator(new SimulatedMarket { Exchange = Series.Exchange, Symbol = Series.Symbol, Seed = 5 }).Generate(250));
        var ingested = await Amqp.TapAsync(Exchanges.DataIngested);

        var (code, output) = await CliAsync("candles", "publish", file, "--exchange", "sim", "--symbol", "CLI/USD", "--interval", "1m", "--batch-size", "100");

        Assert.That(code, Is.EqualTo(ExitCodes.Ok));
        Assert.That(output, Does.Contain("published 250 candles in 3 market.candles message(s)"));
        await ingested.WaitForCountAsync(3);
        Assert.That(await CandleStore.CountAsync(Series), Is.EqualTo(250));
    }

    [Test]
    public async Task Bad_arguments_and_a_missing_file_are_refused_with_the_reason_and_exit_code_2()
    {
        var (noInterval, text1) = await CliAsync("candles", "publish", "/nonexistent.csv", "--exchange", "sim", "--symbol", "CLI/USD", "--interval", "2w");
        var (missing, text2) = await CliAsync("candles", "publish", "/nonexistent.csv", "--exchange", "sim", "--symbol", "CLI/USD", "--interval", "1m");
        var (notDead, text3) = await CliAsync("dlq", "show", "ingest");
        var (noYes, _) = await CliAsync("dlq", "purge", "ingest_error");
        Assert.Multiple(() =>
        {
            Exits((noInterval, text1), ExitCodes.Usage, "--interval '2w' is not one of");
            Exits((missing, text2), ExitCodes.Usage, "no such file /nonexistent.csv");
            Exits((notDead, text3), ExitCodes.Usage, "did you mean ingest_error?");
            Assert.That(noYes, Is.EqualTo(ExitCodes.Failed), "no ingest_error queue exists in this fresh vhost");
        });
    }

    [Test]
    public async Task Unreachable_services_are_named_with_exit_code_3()
    {
        var (broker, text1) = await CliAsync(Settings("amqp://guest:guest@127.0.0.1:1/"), "predict", "--exchange", "sim", "--symbol", "CLI/USD", "--interval", "1m");
        var (management, text2) = await CliAsync(Settings() with { ManagementUrl = "http://127.0.0.1:1/" }, "queues");
        var (redis, text3) = await CliAsync(Settings() with { RedisUrl = "redis://127.0.0.1:1" }, "models", "list");
        var (noRedis, text4) = await CliAsync(Settings() with { RedisUrl = null }, "models", "list");
        Assert.Multiple(() =>
        {
            Assert.That(broker, Is.EqualTo(ExitCodes.Unreachable));
            Assert.That(text1, Does.Contain("cannot reach RabbitMQ at amqp://guest:***@127.0.0.1:1/"));
            Assert.That(management, Is.EqualTo(ExitCodes.Unreachable));
            Assert.That(text2, Does.Contain("cannot reach the RabbitMQ management API at http://127.0.0.1:1/"));
            Assert.That(redis, Is.EqualTo(ExitCodes.Unreachable));
            Assert.That(text3, Does.Contain("cannot reach Redis at redis://127.0.0.1:1"));
            Exits((noRedis, text4), ExitCodes.Usage, "set REDIS_URL");
        });
    }

    [Test]
    public async Task Dead_letters_are_listed_shown_with_their_reason_replayed_without_fault_headers_and_purged()
    {
        var ingest = await StartHostAsync(b => b.AddIngestWorker());
        await Amqp.PublishAsync(Exchanges.MarketCandles, "this is not json", "poison-1");
        await Amqp.PublishAsync(Exchanges.MarketCandles, "{\"candles\": 7}", "poison-2");
        for (var i = 0; i < 100 && await DepthAsync("ingest_error") < 2; i++)
            await Task.Delay(200);
        // Stop Ingest so that what is replayed stays in its queue for the test to read.
        await ingest.StopAsync();

        var (listCode, list) = await CliAsync("dlq", "list");
        Assert.That(listCode, Is.EqualTo(ExitCodes.Ok));
        Assert.That(list, Does.Match(@"ingest_error\s*│\s*2\s*│\s*ingest"));

        var (showCode, show) = await CliAsync("dlq", "show", "ingest_error");
        Assert.That(showCode, Is.EqualTo(ExitCodes.Ok));
        Assert.That(show, Does.Contain("poison-1").And.Contain("this is not json").And.Contain("poison-2").And.Contain("exception").And.Contain("stack"));
        Assert.That(show, Does.Contain("2 of 2 message(s) in ingest_error shown; none removed"));

        var (replayCode, replay) = await CliAsync("dlq", "replay", "ingest_error", "--id", "poison-2");
        Exits((replayCode, replay), ExitCodes.Ok, "replayed 1 message(s) from ingest_error to ingest");
        var back = await Amqp.DrainAsync("ingest");
        Assert.That(back.Select(d => (d.Properties.MessageId, d.Body)), Is.EqualTo(new[] { ("poison-2", "{\"candles\": 7}") }));
        Assert.That(back[0].Header("MT-Fault-Message"), Is.Null, "the fault headers stay behind");

        var (refuse, refused) = await CliAsync("dlq", "purge", "ingest_error");
        Exits((refuse, refused), ExitCodes.Usage, "without --yes");
        Assert.That(await DepthAsync("ingest_error"), Is.EqualTo(1));
        var (purgeCode, purge) = await CliAsync("dlq", "purge", "ingest_error", "--yes");
        Exits((purgeCode, purge), ExitCodes.Ok, "purged 1 message(s)");
        var (_, after) = await CliAsync("queues");
        Assert.That(after, Does.Contain("no dead letters"));
    }

    [Test]
    public async Task Queues_and_dead_letters_print_json_from_the_real_broker_and_management_api()
    {
        var ingest = await StartHostAsync(b => b.AddIngestWorker());
        await Amqp.PublishAsync(Exchanges.MarketCandles, "this is not json", "poison-json");
        for (var i = 0; i < 100 && await DepthAsync("ingest_error") < 1; i++)
            await Task.Delay(200);
        await ingest.StopAsync();

        var (queuesCode, queues) = await CliAsync("queues", "--json");
        var (listCode, list) = await CliAsync("dlq", "list", "--json");
        var (showCode, show) = await CliAsync("dlq", "show", "ingest_error", "--json");

        Assert.That((queuesCode, listCode, showCode), Is.EqualTo((ExitCodes.Ok, ExitCodes.Ok, ExitCodes.Ok)), queues + list + show);
        using var queuesJson = System.Text.Json.JsonDocument.Parse(queues);
        using var listJson = System.Text.Json.JsonDocument.Parse(list);
        using var showJson = System.Text.Json.JsonDocument.Parse(show);
        var error = queuesJson.RootElement.GetProperty("queues").EnumerateArray().Single(q => q.GetProperty("name").GetString() == "ingest_error");
        var letter = showJson.RootElement.GetProperty("messages").EnumerateArray().Single();
        Assert.Multiple(() =>
        {
            Assert.That((error.GetProperty("ready").GetInt64(), error.GetProperty("deadLetter").GetBoolean()), Is.EqualTo((1L, true)));
            Assert.That(queuesJson.RootElement.GetProperty("deadLetters").GetInt64(), Is.EqualTo(1));
            Assert.That(listJson.RootElement.GetProperty("queues").EnumerateArray().Select(q => (q.GetProperty("name").GetString(),
                q.GetProperty("messages").GetInt64(), q.GetProperty("replaysTo").GetString())), Is.EqualTo(new[] { ("ingest_error", 1L, "ingest") }));
            Assert.That(letter.GetProperty("messageId").GetString(), Is.EqualTo("poison-json"));
            Assert.That(letter.GetProperty("text").GetString(), Is.EqualTo("this is not json"));
            Assert.That(letter.GetProperty("exceptionType").GetString(), Is.Not.Empty);
            Assert.That(letter.GetProperty("stackTrace").GetString(), Is.Not.Empty);
        });
    }

    [Test]
    public async Task Predict_prints_the_answer_of_inference_and_a_failure_exits_1()
    {
        await CandleStore.AppendAsync(TrainedModels.Series, TrainedModels.Market, null);
        await StartHostAsync(b => b.AddInferenceWorker(), new Dictionary<string, string?>
        {
            ["Tracking:LocalDirectory"] = ScratchDirectory, ["Inference:InstanceId"] = "cli",
        });
        var (noModel, failed) = await CliAsync("predict", "--exchange", "sim", "--symbol", "PLANT/USD", "--interval", "1m");
        Exits((noModel, failed), ExitCodes.Failed, "prediction.failed no_model");

        await RegisterTrainedModelAsync("run-1", champion: true);
        var deployed = await RegistryState.GetChampionAsync(TrainedModels.ModelName);
        await Amqp.PublishAsync(Exchanges.ModelDeployed, System.Text.Json.JsonSerializer.Serialize(new ModelDeployed
        {
            ModelName = deployed!.ModelName, Version = deployed.Version, RunId = deployed.RunId, Artifact = deployed.Artifact, Metrics = deployed.Metrics,
        }, ContractJson.Options));
        var (code, answer) = (0, "");
        for (var i = 0; i < 20; i++)
        {
            (code, answer) = await CliAsync("predict", "--exchange", "sim", "--symbol", "PLANT/USD", "--interval", "1m", "--timeout", "10");
            if (code == ExitCodes.Ok)
                break;
            await Task.Delay(250);
        }

        Assert.That(code, Is.EqualTo(ExitCodes.Ok));
        Assert.That(answer, Does.Contain("signal").And.Contain("risk").And.Contain($"{TrainedModels.ModelName} v1")
            .And.Contain(TrainedModels.Market[^1].OpenTime.ToString("u", System.Globalization.CultureInfo.InvariantCulture)));
    }

    /// <summary>Messages in a queue, by a passive declare (the management API's figures lag by seconds).</summary>
    async Task<uint> DepthAsync(string queue)
    {
        await using var connection = await new RabbitMQ.Client.ConnectionFactory { Uri = new Uri(Services.UrlFor(VirtualHost)) }.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        try
        {
            return (await channel.QueueDeclarePassiveAsync(queue)).MessageCount;
        }
        catch (RabbitMQ.Client.Exceptions.OperationInterruptedException)
        {
            return 0;
        }
    }

    [Test]
    public async Task Models_are_listed_promoted_rolled_back_and_a_bad_version_is_refused_with_the_registry_reason()
    {
        await CandleStore.AppendAsync(TrainedModels.Series, TrainedModels.Market, null);
        await RegisterTrainedModelAsync("run-1", champion: true);
        await RegisterTrainedModelAsync("run-2", champion: false);
        await StartHostAsync(b => b.AddRegistryWorker(), new Dictionary<string, string?> { ["Tracking:LocalDirectory"] = ScratchDirectory });

        var (listCode, list) = await CliAsync("models", "list");
        Assert.That(listCode, Is.EqualTo(ExitCodes.Ok));
        Assert.That(list, Does.Match(@"v1\s*│\s*champion\s*│\s*run-1").And.Match(@"v2\s*│\s*│\s*run-2"));

        var (promote, promoted) = await CliAsync("models", "promote", TrainedModels.ModelName, "2", "--reason", "operator test");
        Exits((promote, promoted), ExitCodes.Ok, $"model.deployed {TrainedModels.ModelName} v2 (was v1), reason promote");
        var (rollback, rolledBack) = await CliAsync("models", "rollback", TrainedModels.ModelName);
        Exits((rollback, rolledBack), ExitCodes.Ok, "v1 (was v2), reason rollback");
        var (bad, refused) = await CliAsync("models", "promote", TrainedModels.ModelName, "9", "--timeout", "20");
        Exits((bad, refused), ExitCodes.Failed, "has no version 9");
    }

    [Test, Category(TestCategories.Numerics)]
    public async Task Train_with_wait_follows_the_run_to_the_gates_decision()
    {
        await CandleStore.AppendAsync(TrainedModels.Series, TrainedModels.Market, null);
        var shared = new Dictionary<string, string?> { ["Tracking:LocalDirectory"] = ScratchDirectory, ["Training:PollIntervalMs"] = "100" };
        await StartHostAsync(b => b.AddTrainingWorker(), shared);
        await StartHostAsync(b => b.AddRegistryWorker(), shared);

        var (code, output) = await CliAsync(["train", "--exchange", "sim", "--symbol", "PLANT/USD", "--interval", "1m", "--wait", "--timeout", "240",
            .. TrainedModels.TinySetArguments()]);

        Assert.That(code, Is.EqualTo(ExitCodes.Ok));
        Assert.That(output, Does.Contain("training.requested").And.Contain("training.started run").And.Contain("training.completed run")
            .And.Contain($"model.deployed {TrainedModels.ModelName} v1"));
    }
}
