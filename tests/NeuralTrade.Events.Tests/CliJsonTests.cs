extern alias CliTool;

using System.Text.Json;
using System.Text.Json.Nodes;
using CliTool::NeuralTrade.Events.Cli;
using NeuralTrade.Events.Contracts;
using NeuralTrade.Events.Stores;

namespace NeuralTrade.Events.Tests;

/// <summary>
/// <c>neuraltrade … --json</c>, each command run whole against an in-memory fleet: standard output holds one JSON
/// document (JSON lines for <c>train</c>) with the documented members (docs/operations.md), errors go to standard
/// error with the exit code, and no password is printed.
/// </summary>
public sealed class CliJsonTests
{
    static Task<(int Code, string Out, string Error)> Cli(CliInMemoryFleet fleet, params string[] args) => CliInProcess.RunAsync(fleet, args);

    /// <summary>Standard output parsed as one JSON document, the command having succeeded and written nothing to standard error.</summary>
    static JsonElement Document((int Code, string Out, string Error) result, int code = ExitCodes.Ok)
    {
        Assert.That(result.Code, Is.EqualTo(code), result.Error);
        using var document = JsonDocument.Parse(result.Out);
        return document.RootElement.Clone();
    }

    static string[] Names(JsonElement element) => element.EnumerateObject().Select(p => p.Name).ToArray();

    static readonly string[] Series = ["--exchange", "sim", "--symbol", "CLI/USD", "--interval", "1m"];

    [Test]
    public async Task Candles_publish_json_reports_what_was_published_and_each_skipped_line_without_the_password()
    {
        var fleet = new CliInMemoryFleet();
        var file = Path.Combine(Path.GetTempPath(), $"nt-cli-{Guid.NewGuid():N}.csv");
        await File.WriteAllTextAsync(file, """
            date,open,high,low,close,volume
            2024-01-01T00:00:00Z,100,101,99,100.5,10
            2024-01-01T00:01:00Z,100.5,102,100,101,12
            2024-01-01T00:02:00Z,oops,102,100,101,12
            2024-01-01T00:03:00Z,101,103,100,102,9
            """);
        try
        {
            var result = await Cli(fleet, ["candles", "publish", file, .. Series, "--batch-size", "2", "--json"]);

            var json = Document(result);
            Assert.Multiple(() =>
            {
                Assert.That(Names(json), Is.EqualTo(new[] { "file", "exchange", "symbol", "interval", "candles", "messages", "skipped", "broker" }));
                Assert.That(json.GetProperty("file").GetString(), Is.EqualTo(file));
                Assert.That(json.GetProperty("symbol").GetString(), Is.EqualTo("CLI/USD"));
                Assert.That(json.GetProperty("candles").GetInt32(), Is.EqualTo(3));
                Assert.That(json.GetProperty("messages").GetInt32(), Is.EqualTo(2));
                Assert.That(json.GetProperty("skipped").GetArrayLength(), Is.EqualTo(1));
                Assert.That(json.GetProperty("skipped")[0].GetProperty("line").GetInt64(), Is.EqualTo(4));
                Assert.That(json.GetProperty("skipped")[0].GetProperty("error").GetString(), Does.Contain("open"));
                Assert.That(json.GetProperty("broker").GetString(), Is.EqualTo("amqp://operator:***@localhost:5672/"));
                Assert.That(result.Out + result.Error, Does.Not.Contain("s3cret-pass"));
                Assert.That(fleet.Published.Select(p => (p.Exchange, p.Body.GetProperty("candles").GetArrayLength())),
                    Is.EqualTo(new[] { (Exchanges.MarketCandles, 2), (Exchanges.MarketCandles, 1) }));
            });
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Test]
    public async Task Predict_json_prints_the_answer_as_it_came_and_exits_1_on_prediction_failed()
    {
        var fleet = new CliInMemoryFleet();
        var fail = false;
        fleet.Respond = (exchange, body) => exchange != Exchanges.PredictionRequested ? [] :
        [
            fail
                ? (Exchanges.PredictionFailed, CliInMemoryFleet.Golden("prediction.failed", ("requestId", body.GetProperty("requestId").GetString())))
                : (Exchanges.PredictionCompleted, CliInMemoryFleet.Golden("prediction.completed", ("requestId", body.GetProperty("requestId").GetString()))),
        ];

        var completed = Document(await Cli(fleet, ["predict", .. Series, "--json"]));
        fail = true;
        var failed = Document(await Cli(fleet, ["predict", .. Series, "--json"]), ExitCodes.Failed);

        var requests = fleet.Published.Where(p => p.Exchange == Exchanges.PredictionRequested).Select(p => p.Body.GetProperty("requestId").GetString()).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(completed.GetProperty("requestId").GetString(), Is.EqualTo(requests[0]));
            Assert.That(completed.GetProperty("signal").GetString(), Is.EqualTo("buy"));
            Assert.That(completed.GetProperty("probabilities").GetProperty("buy").GetDouble(), Is.EqualTo(0.61));
            Assert.That(completed.GetProperty("model").GetProperty("version").GetInt32(), Is.EqualTo(3));
            Assert.That(failed.GetProperty("requestId").GetString(), Is.EqualTo(requests[1]));
            Assert.That(failed.TryGetProperty("code", out _), Is.True, "prediction.failed as it came");
        });
    }

    [Test]
    public async Task Train_json_writes_json_lines_from_the_request_to_the_gates_decision_and_leaves_out_other_runs()
    {
        var fleet = new CliInMemoryFleet();
        fleet.Respond = (exchange, body) =>
        {
            if (exchange != Exchanges.TrainingRequested)
                return [];
            var requestId = body.GetProperty("requestId").GetString();
            return
            [
                (Exchanges.TrainingStarted, CliInMemoryFleet.Golden("training.started", ("requestId", Guid.NewGuid().ToString()), ("runId", "someone-else"))),
                (Exchanges.TrainingStarted, CliInMemoryFleet.Golden("training.started", ("requestId", requestId), ("runId", "run-7"))),
                (Exchanges.TrainingCompleted, CliInMemoryFleet.Golden("training.completed", ("requestId", requestId), ("runId", "run-7"))),
                (Exchanges.ModelDeployed, CliInMemoryFleet.Golden("model.deployed", ("runId", "someone-else"), ("version", 8))),
                (Exchanges.ModelDeployed, CliInMemoryFleet.Golden("model.deployed", ("runId", "run-7"), ("version", 4))),
            ];
        };

        var (code, output, error) = await Cli(fleet, ["train", .. Series, "--set", "epochs=3", "--wait", "--timeout", "10", "--json"]);

        Assert.That(code, Is.EqualTo(ExitCodes.Ok), error);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList();
        var requestId = fleet.Published.Single(p => p.Exchange == Exchanges.TrainingRequested).Body.GetProperty("requestId").GetString();
        Assert.Multiple(() =>
        {
            Assert.That(lines.Select(l => l.GetProperty("event").GetString()),
                Is.EqualTo(new[] { Exchanges.TrainingRequested, Exchanges.TrainingStarted, Exchanges.TrainingCompleted, Exchanges.ModelDeployed }));
            Assert.That(lines.Select(Names), Has.All.EqualTo(new[] { "event", "message" }));
            Assert.That(lines.Take(3).Select(l => l.GetProperty("message").GetProperty("requestId").GetString()), Has.All.EqualTo(requestId));
            Assert.That(lines[0].GetProperty("message").GetProperty("hyperparameters").GetProperty("epochs").GetInt32(), Is.EqualTo(3));
            Assert.That(lines[2].GetProperty("message").GetProperty("metrics").GetProperty("macro_f1").GetDouble(), Is.EqualTo(0.41));
            Assert.That(lines[3].GetProperty("message").GetProperty("version").GetInt32(), Is.EqualTo(4));
            Assert.That(error, Is.Empty);
        });
    }

    /// <summary>A fleet that answers a search: its trials recorded as Training records them, then the events of a search that ended.</summary>
    static CliInMemoryFleet SearchingFleet()
    {
        var fleet = new CliInMemoryFleet();
        fleet.Respond = (exchange, body) =>
        {
            if (exchange != Exchanges.TrainingRequested)
                return [];
            var requestId = body.GetProperty("requestId").GetString()!;
            var id = Guid.Parse(requestId);
            fleet.Searches.CreateAsync(id, """{"trials":[{},{},{}]}""").GetAwaiter().GetResult();
            foreach (var (trial, status, f1, run) in new[] { (0, "completed", "0.41", "run-a"), (1, "stopped", "null", "run-b"), (2, "completed", "0.52", "run-c") })
            {
                fleet.Searches.RecordTrialAsync(id, trial, $$"""
                    {"trial":{{trial}},"status":"{{status}}","values":{"hiddenSize":{{16 * (trial + 1)}}},"runId":"{{run}}","epochs":{{(status == "stopped" ? 1 : 4)}},
                     "validationMacroF1":{{f1}},"durationSeconds":2.5,"attempts":1}
                    """).GetAwaiter().GetResult();
            }

            return
            [
                (Exchanges.TrainingStarted, CliInMemoryFleet.Golden("training.started", ("requestId", requestId), ("runId", "parent"))),
                (Exchanges.TrainingCompleted, CliInMemoryFleet.Golden("training.completed", ("requestId", requestId), ("runId", "run-c"))),
                (Exchanges.ModelDeployed, CliInMemoryFleet.Golden("model.deployed", ("runId", "run-c"), ("version", 5))),
            ];
        };
        return fleet;
    }

    static readonly string[] SearchArguments =
        ["search", .. Series, "--space", "hiddenSize=16,32,48", "--space", "learningRate=log:0.0001:0.01", "--trials", "3", "--grace", "1", "--timeout", "10"];

    [Test]
    public async Task Search_json_follows_the_search_with_progress_and_the_trials_to_the_gates_decision()
    {
        var fleet = SearchingFleet();
        var (code, output, error) = await Cli(fleet, [.. SearchArguments, "--json"]);

        Assert.That(code, Is.EqualTo(ExitCodes.Ok), error);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList();
        var search = lines[0].GetProperty("message").GetProperty("search");
        var progress = lines.Single(l => l.GetProperty("event").GetString() == "search.progress").GetProperty("message");
        var trials = lines.Single(l => l.GetProperty("event").GetString() == "search.trials").GetProperty("message");
        Assert.Multiple(() =>
        {
            Assert.That(lines.Select(l => l.GetProperty("event").GetString()), Is.EqualTo(new[]
            {
                Exchanges.TrainingRequested, Exchanges.TrainingStarted, "search.progress", Exchanges.TrainingCompleted, "search.trials", Exchanges.ModelDeployed,
            }));
            Assert.That(search.GetProperty("space").GetProperty("hiddenSize").GetProperty("values").EnumerateArray().Select(v => v.GetDouble()),
                Is.EqualTo(new[] { 16.0, 32, 48 }));
            var rate = search.GetProperty("space").GetProperty("learningRate");
            Assert.That((rate.GetProperty("min").GetDouble(), rate.GetProperty("max").GetDouble(), rate.GetProperty("log").GetBoolean()), Is.EqualTo((0.0001, 0.01, true)));
            Assert.That((search.GetProperty("trials").GetInt32(), search.GetProperty("earlyStopping").GetProperty("graceEpochs").GetInt32()), Is.EqualTo((3, 1)));
            Assert.That((progress.GetProperty("ended").GetInt32(), progress.GetProperty("completed").GetInt32(), progress.GetProperty("stopped").GetInt32(),
                progress.GetProperty("bestTrial").GetInt32()), Is.EqualTo((3, 2, 1, 2)));
            Assert.That(trials.EnumerateArray().Select(t => t.GetProperty("status").GetString()), Is.EqualTo(new[] { "completed", "stopped", "completed" }));
            Assert.That(trials[2].GetProperty("validationMacroF1").GetDouble(), Is.EqualTo(0.52));
            Assert.That(error, Is.Empty);
        });
    }

    [Test]
    public async Task Search_prints_a_progress_bar_and_a_table_that_marks_the_candidate_and_refuses_a_malformed_space()
    {
        var (code, output, error) = await Cli(SearchingFleet(), SearchArguments);
        var (usage, _, usageError) = await Cli(new CliInMemoryFleet(), ["search", .. Series, "--space", "hiddenSize"]);
        var (interval, _, intervalError) = await Cli(new CliInMemoryFleet(), ["search", .. Series, "--space", "learningRate=log:a:0.1"]);

        Assert.Multiple(() =>
        {
            Assert.That(code, Is.EqualTo(ExitCodes.Ok), error);
            Assert.That(output, Does.Contain("[########################] 3/3 trials ended: 2 completed, 1 stopped early, 0 failed; best validation macro-F1 so far 0.520 (trial 2)"));
            Assert.That(output, Does.Contain("*2").And.Contain("hiddenSize=48").And.Contain("run-c"));
            Assert.That(output, Does.Contain("model.deployed"));
            Assert.That(usage, Is.EqualTo(ExitCodes.Usage));
            Assert.That(usageError, Does.Contain("--space 'hiddenSize' is not name=values or name=min:max."));
            Assert.That(interval, Is.EqualTo(ExitCodes.Usage));
            Assert.That(intervalError, Does.Contain("min and max must be numbers"));
        });
    }

    [Test]
    public async Task Train_json_without_wait_is_one_line_and_a_failed_run_exits_1_after_its_line()
    {
        var fleet = new CliInMemoryFleet();
        fleet.Respond = (exchange, body) => exchange != Exchanges.TrainingRequested ? [] :
            [(Exchanges.TrainingFailed, CliInMemoryFleet.Golden("training.failed", ("requestId", body.GetProperty("requestId").GetString())))];

        var (_, once, _) = await Cli(fleet, ["train", .. Series, "--json"]);
        var (code, followed, _) = await Cli(fleet, ["train", .. Series, "--wait", "--timeout", "10", "--json"]);

        Assert.That(once.Split('\n', StringSplitOptions.RemoveEmptyEntries), Has.Length.EqualTo(1));
        Assert.That(JsonDocument.Parse(once).RootElement.GetProperty("message").GetProperty("reason").GetString(), Is.EqualTo("manual"));
        Assert.That(code, Is.EqualTo(ExitCodes.Failed));
        Assert.That(followed.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("event").GetString()),
            Is.EqualTo(new[] { Exchanges.TrainingRequested, Exchanges.TrainingFailed }));
    }

    [Test]
    public async Task Models_list_json_lists_each_models_versions_newest_first_with_the_champion_marked()
    {
        var fleet = new CliInMemoryFleet();
        var registeredAt = new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
        foreach (var run in new[] { "run-1", "run-2" })
        {
            await fleet.Registry.AddVersionAsync(new RegisteredVersion("signal-sim-cli-usd-1m", 0, run, new ArtifactRef($"file:///a/{run}/model.ntm", "abc", 42),
                new Dictionary<string, double> { ["macro_f1"] = 0.5, ["gate_macro_f1"] = 0.45 }, registeredAt, RegisteredVersion.Local));
        }

        await fleet.Registry.PromoteAsync("signal-sim-cli-usd-1m", 1);
        var empty = Document(await Cli(new CliInMemoryFleet(), "models", "list", "--json"));

        var json = Document(await Cli(fleet, "models", "list", "--json"));

        var model = json.GetProperty("models").EnumerateArray().Single();
        var versions = model.GetProperty("versions").EnumerateArray().ToList();
        Assert.Multiple(() =>
        {
            Assert.That(empty.GetProperty("models").GetArrayLength(), Is.Zero);
            Assert.That(Names(model), Is.EqualTo(new[] { "name", "champion", "versions" }));
            Assert.That(model.GetProperty("name").GetString(), Is.EqualTo("signal-sim-cli-usd-1m"));
            Assert.That(model.GetProperty("champion").GetInt32(), Is.EqualTo(1));
            Assert.That(Names(versions[0]), Is.EqualTo(new[] { "version", "champion", "runId", "artifact", "metrics", "registeredAt", "registry" }));
            Assert.That(versions.Select(v => (v.GetProperty("version").GetInt32(), v.GetProperty("champion").GetBoolean(), v.GetProperty("runId").GetString())),
                Is.EqualTo(new[] { (2, false, "run-2"), (1, true, "run-1") }));
            Assert.That(versions[1].GetProperty("artifact").GetProperty("uri").GetString(), Is.EqualTo("file:///a/run-1/model.ntm"));
            Assert.That(versions[1].GetProperty("metrics").GetProperty("gate_macro_f1").GetDouble(), Is.EqualTo(0.45));
            Assert.That(versions[1].GetProperty("registeredAt").GetString(), Is.EqualTo("2026-03-01T12:00:00Z"));
            Assert.That(versions[1].GetProperty("registry").GetString(), Is.EqualTo("local"));
        });
    }

    [Test]
    public async Task Models_promote_json_prints_model_deployed_and_a_refusal_goes_to_standard_error_with_exit_1()
    {
        var fleet = new CliInMemoryFleet();
        fleet.Queues["registry-promote_error"] = [];
        fleet.Respond = (exchange, body) =>
        {
            if (exchange != Exchanges.ModelPromote)
                return [];
            var version = body.GetProperty("version").GetInt32();
            if (version == 9)
            {
                fleet.Queues["registry-promote_error"].Add(CliInMemoryFleet.Message(body.GetRawText(), body.GetProperty("eventId").GetString(),
                    new Dictionary<string, string> { ["MT-Fault-Message"] = "signal-sim-cli-usd-1m has no version 9" }));
                return [];
            }

            return [(Exchanges.ModelDeployed, CliInMemoryFleet.Golden("model.deployed", ("modelName", "signal-sim-cli-usd-1m"), ("version", version),
                ("reason", "promote")))];
        };

        var deployed = Document(await Cli(fleet, "models", "promote", "signal-sim-cli-usd-1m", "2", "--json"));
        var refused = await Cli(fleet, "models", "promote", "signal-sim-cli-usd-1m", "9", "--timeout", "5", "--json");

        Assert.Multiple(() =>
        {
            Assert.That(deployed.GetProperty("modelName").GetString(), Is.EqualTo("signal-sim-cli-usd-1m"));
            Assert.That(deployed.GetProperty("version").GetInt32(), Is.EqualTo(2));
            Assert.That(deployed.GetProperty("previousVersion").GetInt32(), Is.EqualTo(2), "the body as it came (the golden one's previousVersion)");
            Assert.That(deployed.GetProperty("reason").GetString(), Is.EqualTo("promote"));
            Assert.That(refused.Code, Is.EqualTo(ExitCodes.Failed));
            Assert.That(refused.Out, Is.Empty);
            Assert.That(refused.Error, Does.Contain("refused by the Registry: signal-sim-cli-usd-1m has no version 9"));
        });
    }

    static CliInMemoryFleet DeadLetters()
    {
        var fleet = new CliInMemoryFleet();
        fleet.Queues["ingest"] = [];
        fleet.Queues["ingest_error"] =
        [
            CliInMemoryFleet.Message("this is not json", "poison-1", new Dictionary<string, string>
            {
                ["MT-Reason"] = "fault", ["MT-Fault-ExceptionType"] = "System.Text.Json.JsonException", ["MT-Fault-Message"] = "'h' is an invalid start of a value.",
                ["MT-Fault-ConsumerType"] = "IngestConsumer", ["MT-Fault-Timestamp"] = "2026-03-01T12:00:00.0000000Z", ["MT-Fault-RetryCount"] = "3",
                ["MT-Host-MachineName"] = "worker-1", ["MT-Fault-StackTrace"] = "at Ingest()",
            }),
            CliInMemoryFleet.Message("{\"candles\": 7}", "poison-2", new Dictionary<string, string> { ["MT-Reason"] = "fault" }),
        ];
        fleet.Management.Add(new QueueInfo("ingest", 0, 0, 1, 2.5, 2.5));
        fleet.Management.Add(new QueueInfo("ingest_error", 0, 0, 0, 0, 0));
        fleet.Consumers["ingest"] = 1;
        return fleet;
    }

    [Test]
    public async Task Dlq_list_json_lists_each_dead_letter_queue_with_its_count_and_where_it_replays_to()
    {
        var json = Document(await Cli(DeadLetters(), "dlq", "list", "--json"));

        var queue = json.GetProperty("queues").EnumerateArray().Single();
        Assert.That(Names(queue), Is.EqualTo(new[] { "name", "messages", "replaysTo" }));
        Assert.That((queue.GetProperty("name").GetString(), queue.GetProperty("messages").GetInt64(), queue.GetProperty("replaysTo").GetString()),
            Is.EqualTo(("ingest_error", 2L, "ingest")));
    }

    [Test]
    public async Task Dlq_show_json_gives_each_dead_letter_whole_a_json_body_as_json_and_another_as_text_and_removes_none()
    {
        var fleet = DeadLetters();

        var json = Document(await Cli(fleet, "dlq", "show", "ingest_error", "--max-body", "3", "--json"));
        var missing = await Cli(fleet, "dlq", "show", "ingest_error", "--id", "nope", "--json");

        var messages = json.GetProperty("messages").EnumerateArray().ToList();
        Assert.Multiple(() =>
        {
            Assert.That(Names(json), Is.EqualTo(new[] { "queue", "total", "shown", "messages" }));
            Assert.That((json.GetProperty("queue").GetString(), json.GetProperty("total").GetInt32(), json.GetProperty("shown").GetInt32()),
                Is.EqualTo(("ingest_error", 2, 2)));
            Assert.That(Names(messages[0]), Is.EqualTo(new[]
            {
                "position", "messageId", "contentType", "reason", "exceptionType", "exceptionMessage", "consumer", "failedAt", "retries", "host", "text",
                "stackTrace",
            }));
            Assert.That(messages[0].GetProperty("messageId").GetString(), Is.EqualTo("poison-1"));
            Assert.That(messages[0].GetProperty("text").GetString(), Is.EqualTo("this is not json"), "--max-body is for the text view only");
            Assert.That(messages[0].GetProperty("exceptionType").GetString(), Is.EqualTo("System.Text.Json.JsonException"));
            Assert.That(messages[0].GetProperty("retries").GetString(), Is.EqualTo("3"));
            Assert.That(messages[1].GetProperty("position").GetInt32(), Is.EqualTo(2));
            Assert.That(messages[1].GetProperty("body").GetProperty("candles").GetInt32(), Is.EqualTo(7));
            Assert.That(messages[1].TryGetProperty("text", out _), Is.False);
            Assert.That(fleet.Queues["ingest_error"], Has.Count.EqualTo(2));
            Assert.That(missing.Code, Is.EqualTo(ExitCodes.Failed), "--id matched nothing");
            Assert.That(JsonDocument.Parse(missing.Out).RootElement.GetProperty("shown").GetInt32(), Is.Zero);
        });
    }

    [Test]
    public async Task Dlq_replay_and_purge_json_report_how_many_and_a_purge_without_yes_is_an_error_on_standard_error()
    {
        var fleet = DeadLetters();

        var replayed = Document(await Cli(fleet, "dlq", "replay", "ingest_error", "--id", "poison-2", "--json"));
        var refused = await Cli(fleet, "dlq", "purge", "ingest_error", "--json");
        var purged = Document(await Cli(fleet, "dlq", "purge", "ingest_error", "--yes", "--json"));

        Assert.Multiple(() =>
        {
            Assert.That(Names(replayed), Is.EqualTo(new[] { "queue", "to", "replayed" }));
            Assert.That((replayed.GetProperty("queue").GetString(), replayed.GetProperty("to").GetString(), replayed.GetProperty("replayed").GetInt32()),
                Is.EqualTo(("ingest_error", "ingest", 1)));
            Assert.That(fleet.Queues["ingest"].Select(m => m.Properties.MessageId), Is.EqualTo(new[] { "poison-2" }));
            Assert.That(refused.Code, Is.EqualTo(ExitCodes.Usage));
            Assert.That(refused.Out, Is.Empty);
            Assert.That(refused.Error, Does.Contain("without --yes"));
            Assert.That(Names(purged), Is.EqualTo(new[] { "queue", "purged" }), "no id: all of them");
            Assert.That(purged.GetProperty("purged").GetInt64(), Is.EqualTo(1));
            Assert.That(fleet.Queues["ingest_error"], Is.Empty);
        });
    }

    [Test]
    public async Task Queues_json_gives_each_queue_with_the_brokers_count_of_now_and_the_dead_letters_in_total()
    {
        var fleet = DeadLetters();
        fleet.Management.Add(new QueueInfo("amq.gen-abc", 0, 0, 1, 0, 0));
        // The management API's figures lag; ready and consumers are counted by the broker at that instant.
        fleet.Management[0] = new QueueInfo("ingest", 99, 4, 0, 2.5, 1.5);

        var json = Document(await Cli(fleet, "queues", "--json"));
        var all = Document(await Cli(fleet, "queues", "--all", "--json"));

        var queues = json.GetProperty("queues").EnumerateArray().ToList();
        Assert.Multiple(() =>
        {
            Assert.That(Names(json), Is.EqualTo(new[] { "queues", "deadLetters" }));
            Assert.That(queues.Select(q => q.GetProperty("name").GetString()), Is.EqualTo(new[] { "ingest", "ingest_error" }));
            Assert.That(Names(queues[0]), Is.EqualTo(new[] { "name", "ready", "unacknowledged", "messages", "consumers", "publishRate", "deliverRate", "deadLetter" }));
            Assert.That((queues[0].GetProperty("ready").GetInt64(), queues[0].GetProperty("unacknowledged").GetInt64(), queues[0].GetProperty("messages").GetInt64(),
                queues[0].GetProperty("consumers").GetInt32()), Is.EqualTo((0L, 4L, 4L, 1)));
            Assert.That((queues[0].GetProperty("publishRate").GetDouble(), queues[0].GetProperty("deliverRate").GetDouble()), Is.EqualTo((2.5, 1.5)));
            Assert.That((queues[1].GetProperty("ready").GetInt64(), queues[1].GetProperty("deadLetter").GetBoolean()), Is.EqualTo((2L, true)));
            Assert.That(json.GetProperty("deadLetters").GetInt64(), Is.EqualTo(2));
            Assert.That(all.GetProperty("queues").EnumerateArray().Select(q => q.GetProperty("name").GetString()), Does.Contain("amq.gen-abc"));
        });
    }

    [Test]
    public async Task Under_json_errors_go_to_standard_error_with_their_exit_code_and_standard_output_stays_empty()
    {
        var down = new CliInMemoryFleet { BrokerDown = true };

        var unreachable = await Cli(down, "queues", "--json");
        var badArgument = await Cli(new CliInMemoryFleet(), ["predict", "--exchange", "sim", "--symbol", "CLI/USD", "--interval", "2w", "--json"]);
        var noQueue = await Cli(new CliInMemoryFleet(), "dlq", "show", "nothing_error", "--json");

        Assert.Multiple(() =>
        {
            Assert.That((unreachable.Code, unreachable.Out), Is.EqualTo((ExitCodes.Unreachable, "")));
            Assert.That(unreachable.Error, Does.StartWith("error: cannot reach RabbitMQ at amqp://guest:***@127.0.0.1:1/"));
            Assert.That((badArgument.Code, badArgument.Out), Is.EqualTo((ExitCodes.Usage, "")));
            Assert.That(badArgument.Error, Does.Contain("--interval '2w' is not one of"));
            Assert.That((noQueue.Code, noQueue.Out), Is.EqualTo((ExitCodes.Failed, "")));
            Assert.That(noQueue.Error, Does.Contain("there is no queue 'nothing_error'"));
        });
    }

    [Test]
    public async Task Every_command_that_prints_data_takes_json()
    {
        // Every leaf of the command tree, found by walking the help as a user would, so a new command cannot be missed.
        // The two that print a configuration file (broker definitions, a Redis ACL file) are the documented exception.
        string[] printsAFile = ["broker definitions", "redis acl"];
        var leaves = new List<string>();
        var pending = new Queue<string[]>([[]]);
        while (pending.TryDequeue(out var command))
        {
            var (code, help, _) = await Cli(new CliInMemoryFleet(), [.. command, "--help"]);
            Assert.That(code, Is.EqualTo(ExitCodes.Ok), string.Join(' ', command));
            var lines = help.Split('\n');
            var start = Array.FindIndex(lines, l => l.TrimEnd() == "Commands:");
            var subcommands = start < 0 ? [] : lines.Skip(start + 1).TakeWhile(l => l.Trim().Length > 0)
                .Select(l => System.Text.RegularExpressions.Regex.Match(l, @"^  ([a-z][a-z-]*)\b")).Where(m => m.Success).Select(m => m.Groups[1].Value).ToList();
            if (subcommands.Count == 0)
            {
                leaves.Add(string.Join(' ', command));
                if (!printsAFile.Contains(string.Join(' ', command)))
                    Assert.That(help, Does.Contain("--json"), string.Join(' ', command));
            }

            foreach (var sub in subcommands)
                pending.Enqueue([.. command, sub]);
        }

        Assert.That(leaves, Is.SupersetOf(new[]
        {
            "candles publish", "predict", "train", "search", "evaluate", "models list", "models promote", "models rollback",
            "dlq list", "dlq show", "dlq replay", "dlq purge", "queues", "broker definitions", "redis acl",
        }), "the walk found the commands this list names");
    }
}
