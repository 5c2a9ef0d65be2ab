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
        ["Tracking__LocalDirectory"] = ScratchDirectory,
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

        ReliabilityTable.Add("Ingest kill -9 ×2", "SIGKILL at 1.5 s, replacement killed 3 s later", market.Count, stored,
            announcedTimes.Count - announcedTimes.Distinct().Count(), dead, market.Count - announcedTimes.Distinct().Count());
        Assert.Multiple(() =>
        {
            Assert.That(stored, Is.EqualTo(market.Count), "every candle stored exactly once");
            Assert.That(announcedTimes.Count, Is.EqualTo(market.Count), "every candle announced under one event id");
            Assert.That(announcedTimes.Distinct().Count(), Is.EqualTo(market.Count), "no candle in two different events");
            Assert.That(dead, Is.Zero, "nothing dead-lettered");
        });
    }
}

/// <summary>
/// Reliability scenario "kill -9 Inference": an Inference process serving a champion under a steady stream of prediction
/// requests from a plain client is killed with SIGKILL and replaced. Every request is answered (prediction.completed or
/// prediction.failed with its requestId) or dead-lettered; none is lost.
/// </summary>
[Category("Reliability")]
public sealed class InferenceKillScenarioTests : BrokerTest
{
    [Test]
    public async Task Inference_killed_under_load_answers_every_request_after_its_replacement_starts()
    {
        await CandleStore.AppendAsync(NeuralTrade.Events.Testing.TrainedModels.Series, NeuralTrade.Events.Testing.TrainedModels.Market, null);
        await RegisterTrainedModelAsync("kill-run", champion: true);
        var environment = new Dictionary<string, string>
        {
            ["RABBITMQ_URL"] = Services.UrlFor(VirtualHost), ["REDIS_URL"] = Services.RedisUrl, ["Redis__KeyPrefix"] = KeyPrefix,
            ["Tracking__LocalDirectory"] = ScratchDirectory, ["Inference__InstanceId"] = "kill",
        };
        var logs = Path.Combine(ScratchDirectory, "logs");
        var answers = await Amqp.TapAsync(Exchanges.PredictionCompleted);
        var failures = await Amqp.TapAsync(Exchanges.PredictionFailed);
        var worker = await WorkerProcess.StartAsync("Inference", environment, logs);

        // 300 requests, one every 20 ms; each names the series and carries no candles (the stored window answers it).
        const int requests = 300;
        var ids = Enumerable.Range(0, requests).Select(_ => Guid.NewGuid()).ToList();
        var clock = Stopwatch.StartNew();
        var feed = Task.Run(async () =>
        {
            foreach (var id in ids)
            {
                await Amqp.PublishAsync(Exchanges.PredictionRequested,
                    $$"""{"requestId":"{{id}}","exchange":"sim","symbol":"PLANT/USD","interval":"1m"}""", id.ToString());
                await Task.Delay(20);
            }
        });

        await Task.Delay(2_000);
        var answeredBefore = answers.Received.Count;
        worker.Kill();
        var killedAt = clock.Elapsed;
        await worker.DisposeAsync();
        worker = await WorkerProcess.StartAsync("Inference", environment, logs);
        await feed;

        HashSet<Guid> Answered() => answers.Received.Concat(failures.Received)
            .Select(d => d.Json.TryGetProperty("requestId", out var r) && r.ValueKind == JsonValueKind.String ? r.GetGuid() : Guid.Empty).ToHashSet();
        var deadline = Stopwatch.StartNew();
        while (!ids.All(Answered().Contains) && deadline.Elapsed < TimeSpan.FromMinutes(2))
            await Task.Delay(250);
        await Management.WaitForQueueEmptyAsync(VirtualHost, "inference", TimeSpan.FromSeconds(60));
        await worker.DisposeAsync();

        var answered = Answered();
        var dead = (await Management.FindQueueAsync(VirtualHost, "inference_error")) is { } q && q.TryGetProperty("messages", out var m) ? m.GetInt32() : 0;
        var unanswered = ids.Count(id => !answered.Contains(id));
        TestContext.Out.WriteLine($"injected: {requests} prediction requests, one every 20 ms; Inference killed (-9) at {killedAt.TotalSeconds:F1} s after " +
            $"{answeredBefore} answers, replacement ready in {worker.StartedIn.TotalSeconds:F1} s. counted: {answers.Received.Count} prediction.completed, " +
            $"{failures.Received.Count} prediction.failed, requests answered {requests - unanswered}/{requests}, dead-lettered {dead}, unanswered {unanswered}");
        var perRequest = answers.Received.Select(d => d.Json).Where(j => j.TryGetProperty("requestId", out var r) && r.ValueKind == JsonValueKind.String)
            .GroupBy(j => j.GetProperty("requestId").GetGuid()).ToDictionary(g => g.Key, g => g.Select(j => j.GetProperty("eventId").GetString()).Distinct().Count());
        var completed = ids.Count(perRequest.ContainsKey);
        var doubled = perRequest.Values.Count(n => n > 1);
        ReliabilityTable.Add("Inference kill -9", "SIGKILL under 50 requests/s", requests, completed, doubled, dead, requests - completed);
        Assert.Multiple(() =>
        {
            Assert.That(completed, Is.EqualTo(requests), "every request answered with a prediction");
            Assert.That(failures.Received, Is.Empty, "none answered with prediction.failed: the champion serves throughout");
            Assert.That(doubled, Is.Zero, "no request answered twice with different events");
            Assert.That(dead, Is.Zero, "nothing dead-lettered: nothing was invalid");
        });
    }
}

/// <summary>
/// Reliability scenario "kill -9 Training": a Training process is killed with SIGKILL in the middle of a job; a
/// replacement claims the job once its lease has expired (5 s here) and the job completes exactly once.
/// </summary>
[Category("Reliability")]
public sealed class TrainingKillScenarioTests : BrokerTest
{
    NeuralTrade.Events.Testing.FakeMlflowServer Mlflow = null!;

    [SetUp]
    public async Task StartMlflow() => Mlflow = await NeuralTrade.Events.Testing.FakeMlflowServer.StartAsync();

    [TearDown]
    public async Task StopMlflow() => await Mlflow.DisposeAsync();

    /// <summary>The planted market stored, and a Training process's environment: this test's vhost and prefix, a 5 s lease, the fake MLflow.</summary>
    async Task<Dictionary<string, string>> PrepareAsync()
    {
        await CandleStore.AppendAsync(NeuralTrade.Events.Testing.TrainedModels.Series, NeuralTrade.Events.Testing.TrainedModels.Market, null);
        return new Dictionary<string, string>
        {
            ["RABBITMQ_URL"] = Services.UrlFor(VirtualHost), ["REDIS_URL"] = Services.RedisUrl, ["Redis__KeyPrefix"] = KeyPrefix,
            ["Tracking__LocalDirectory"] = ScratchDirectory,
            ["Training__LeaseSeconds"] = "5", ["Training__HeartbeatSeconds"] = "1", ["Training__PollIntervalMs"] = "200",
            ["MLFLOW_TRACKING_URI"] = Mlflow.Uri,
        };
    }

    [Test]
    public async Task Training_killed_mid_job_completes_the_job_exactly_once_on_a_replacement()
    {
        var environment = await PrepareAsync();
        var logs = Path.Combine(ScratchDirectory, "logs");
        var started = await Amqp.TapAsync(Exchanges.TrainingStarted);
        var completed = await Amqp.TapAsync(Exchanges.TrainingCompleted);
        var failed = await Amqp.TapAsync(Exchanges.TrainingFailed);
        var worker = await WorkerProcess.StartAsync("Training", environment, logs);

        var requestId = Guid.NewGuid();
        await Amqp.PublishAsync(Exchanges.TrainingRequested, $$$"""
            {"requestId":"{{{requestId}}}","exchange":"sim","symbol":"PLANT/USD","interval":"1m","reason":"manual",
             "hyperparameters":{"windowSize":30,"hiddenSize":48,"numLayers":1,"epochs":40,"patience":40,"learningRate":0.001,"minSamples":100,
                                "fixedThreshold":0.006,"volatilityScale":0,"seed":7,"seeds":1}}
            """, requestId.ToString());
        await started.WaitForCountAsync(1, TimeSpan.FromSeconds(60));
        await Task.Delay(2_000);
        var clock = Stopwatch.StartNew();
        var completedBefore = completed.Received.Count;
        worker.Kill();
        await worker.DisposeAsync();
        worker = await WorkerProcess.StartAsync("Training", environment, logs);

        var deadline = Stopwatch.StartNew();
        while (completed.Received.Count == 0 && failed.Received.Count == 0 && deadline.Elapsed < TimeSpan.FromMinutes(6))
            await Task.Delay(250);
        await Task.Delay(3_000); // a second completion would show now
        await worker.DisposeAsync();

        var ofRequest = completed.Received.Where(d => d.Json.GetProperty("requestId").GetString() == requestId.ToString()).ToList();
        TestContext.Out.WriteLine($"injected: one training job (40 epochs); Training killed (-9) 2 s after training.started ({completedBefore} completed before), " +
            $"replacement started; lease 5 s. counted: training.started {started.Received.Count} (runs: " +
            $"{string.Join(", ", started.Received.Select(d => d.Json.GetProperty("runId").GetString()))}), training.completed {ofRequest.Count} " +
            $"({clock.Elapsed.TotalSeconds:F0} s after the kill), training.failed {failed.Received.Count}");
        var abandoned = started.Received.Select(d => d.Json.GetProperty("runId").GetString()!).Distinct().ToList();
        var runStatuses = abandoned.Select(id => Mlflow.Runs.TryGetValue(id, out var run) ? run.Status : "missing").ToList();
        ReliabilityTable.Add("Training kill -9", "SIGKILL 2 s into a 40-epoch job", 1, ofRequest.Count, Math.Max(0, ofRequest.Count - 1),
            await Management.FindQueueAsync(VirtualHost, "training_error") is { } q && q.TryGetProperty("messages", out var m) ? m.GetInt32() : 0,
            ofRequest.Count == 0 ? 1 : 0);
        Assert.Multiple(() =>
        {
            Assert.That(completedBefore, Is.Zero, "killed before it finished");
            Assert.That(ofRequest, Has.Count.EqualTo(1), "the job completed exactly once: one training.completed message");
            Assert.That(failed.Received, Is.Empty);
            Assert.That(runStatuses, Is.EqualTo(new[] { "KILLED", "FINISHED" }), "in MLflow the abandoned run ends KILLED on takeover, the replacement's FINISHED");
        });
    }

    /// <summary>
    /// A search of four trials on two Training processes; one is killed with SIGKILL while both run a trial. Its trial's
    /// lease expires (5 s), the other process takes the trial over as its second and last attempt, and the search
    /// completes: one training.completed, every trial once in the outcome, the abandoned attempt's run KILLED.
    /// </summary>
    [Test]
    public async Task A_search_on_two_trainers_completes_when_one_is_killed_mid_trial()
    {
        var environment = await PrepareAsync();
        var logs = Path.Combine(ScratchDirectory, "logs");
        var completed = await Amqp.TapAsync(Exchanges.TrainingCompleted);
        var failed = await Amqp.TapAsync(Exchanges.TrainingFailed);
        var first = await WorkerProcess.StartAsync("Training", environment, logs);
        var second = await WorkerProcess.StartAsync("Training", environment, logs);

        var requestId = Guid.NewGuid();
        await Amqp.PublishAsync(Exchanges.TrainingRequested, $$$"""
            {"requestId":"{{{requestId}}}","exchange":"sim","symbol":"PLANT/USD","interval":"1m","reason":"search",
             "hyperparameters":{"windowSize":30,"numLayers":1,"epochs":12,"patience":12,"minSamples":100,
                                "fixedThreshold":0.006,"volatilityScale":0,"seed":7},
             "search":{"space":{"hiddenSize":{"values":[32,48]},"learningRate":{"values":[0.001,0.003]}},"strategy":"grid","trials":4}}
            """, requestId.ToString());

        // Kill the first process once both are running a trial, 1.5 s into them.
        IReadOnlyList<NeuralTrade.Events.Testing.FakeMlflowServer.Run> Trials() =>
            [.. Mlflow.Runs.Values.Where(r => r.Tags.ContainsKey("neuraltrade.search.trial"))];
        var wait = Stopwatch.StartNew();
        while (Trials().Count(r => r.Status == "RUNNING") < 2 && wait.Elapsed < TimeSpan.FromMinutes(2))
            await Task.Delay(100);
        await Task.Delay(1_500);
        var runningAtKill = Trials().Count(r => r.Status == "RUNNING");
        first.Kill();
        await first.DisposeAsync();

        var deadline = Stopwatch.StartNew();
        while (completed.Received.Count == 0 && failed.Received.Count == 0 && deadline.Elapsed < TimeSpan.FromMinutes(6))
            await Task.Delay(250);
        await Task.Delay(3_000); // a second completion would show now
        await second.DisposeAsync();

        var outcomes = (await Redis.GetDatabase().HashGetAllAsync($"{KeyPrefix}:training:search:{requestId:N}:trials"))
            .Select(e => JsonDocument.Parse((string)e.Value!).RootElement).OrderBy(o => o.GetProperty("trial").GetInt32()).ToList();
        var ofRequest = completed.Received.Where(d => d.Json.GetProperty("requestId").GetString() == requestId.ToString()).ToList();
        var runs = Trials();
        var retried = outcomes.Where(o => o.GetProperty("attempts").GetInt32() == 2).Select(o => o.GetProperty("trial").GetInt32()).ToList();
        var deadLetters = await Management.FindQueueAsync(VirtualHost, "training-trials_error") is { } q && q.TryGetProperty("messages", out var m) ? m.GetInt32() : 0;
        TestContext.Out.WriteLine($"injected: a 4-trial search on two Training processes, one killed (-9) with {runningAtKill} trials running; lease 5 s. " +
            $"counted: trials {string.Join(", ", outcomes.Select(o => $"{o.GetProperty("trial").GetInt32()} {o.GetProperty("status").GetString()} " +
            $"(attempts {o.GetProperty("attempts").GetInt32()})"))}; trial runs {string.Join(", ", runs.Select(r => $"{r.Tags["neuraltrade.search.trial"]} {r.Status}"))}; " +
            $"training.completed {ofRequest.Count} ({deadline.Elapsed.TotalSeconds:F0} s after the kill), training.failed {failed.Received.Count}, dead letters {deadLetters}");
        ReliabilityTable.Add("Search, trainer kill -9", "SIGKILL of one of two trainers mid-trial", 4,
            outcomes.Count(o => o.GetProperty("status").GetString() == "completed"), runs.Count(r => r.Status == "FINISHED") - outcomes.Count, deadLetters,
            4 - outcomes.Count);
        Assert.Multiple(() =>
        {
            Assert.That(runningAtKill, Is.EqualTo(2), "both trainers were mid-trial when one was killed");
            Assert.That(ofRequest, Has.Count.EqualTo(1), "the search completed exactly once: one training.completed");
            Assert.That(failed.Received, Is.Empty);
            Assert.That(outcomes.Select(o => o.GetProperty("status").GetString()), Is.EqualTo(Enumerable.Repeat("completed", 4)), "every trial completed once");
            Assert.That(retried, Has.Count.EqualTo(1), "the killed trainer's trial ran a second time, once");
            Assert.That(runs.Where(r => r.Status == "FINISHED").Select(r => r.Tags["neuraltrade.search.trial"]).Order(), Is.EqualTo(new[] { "0", "1", "2", "3" }),
                "one finished run per trial");
            Assert.That(runs.Where(r => r.Status == "KILLED").Select(r => r.Tags["neuraltrade.search.trial"]), Is.EqualTo(retried.Select(t => t.ToString(System.Globalization.CultureInfo.InvariantCulture))),
                "the abandoned attempt's run ends KILLED");
            Assert.That(runs.Where(r => r.Status == "FINISHED").Select(r => r.RunId), Does.Contain(ofRequest.Single().Json.GetProperty("runId").GetString()),
                "the candidate is a finished trial's run");
            Assert.That(deadLetters, Is.Zero);
        });
    }
}
