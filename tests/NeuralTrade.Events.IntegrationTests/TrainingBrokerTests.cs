using System.Text.Json;
using System.Text.Json.Nodes;
using NeuralTrade.Events.Contracts;
using NeuralTrade.Events.MarketData;
using NeuralTrade.Events.Modeling;
using NeuralTrade.Events.Stores;
using NeuralTrade.Events.Testing;
using NeuralTrade.Events.Workers.Training;

namespace NeuralTrade.Events.IntegrationTests;

/// <summary>The Training worker on a real RabbitMQ and Redis, asked by a client that only knows the public JSON contract.</summary>
[Category(TestCategories.Numerics)]
public sealed class TrainingBrokerTests : BrokerTest
{
    static readonly SeriesKey Series = new("sim", "PLANT/USD", "1m");
    Task StartTrainingAsync(string instance) => StartHostAsync(b => b.AddTrainingWorker(), new Dictionary<string, string?>
    {
        ["Tracking:LocalDirectory"] = ScratchDirectory,
        ["Training:PollIntervalMs"] = "100",
        ["Training:LeaseSeconds"] = "5",
        ["Training:HeartbeatSeconds"] = "1",
    });

    static string RequestBody(Guid requestId, Guid eventId, string symbol = "PLANT/USD") => JsonSerializer.Serialize(new
    {
        eventId, occurredAt = "2024-01-15T10:31:00Z", correlationId = requestId, schemaVersion = 1,
        requestId, exchange = "sim", symbol, interval = "1m", reason = "manual",
        hyperparameters = new { windowSize = 16, hiddenSize = 8, numLayers = 1, epochs = 2, minSamples = 100, batchSize = 64, seeds = 1 },
    });

    [Test]
    public async Task Request_from_a_plain_amqp_client_is_trained_once_by_two_workers_even_when_sent_twice()
    {
        await CandleStore.AppendAsync(Series, PlantedMarket.Generate(1_000, seed: 7), null);
        await StartTrainingAsync("trainer-a");
        await StartTrainingAsync("trainer-b");
        var started = await Amqp.TapAsync(Exchanges.TrainingStarted);
        var completed = await Amqp.TapAsync(Exchanges.TrainingCompleted);
        var requestId = Guid.NewGuid();

        await Amqp.PublishAsync(Exchanges.TrainingRequested, RequestBody(requestId, Guid.NewGuid()));
        await Amqp.PublishAsync(Exchanges.TrainingRequested, RequestBody(requestId, Guid.NewGuid())); // a client retrying

        var done = (await completed.WaitForCountAsync(1, TimeSpan.FromSeconds(120))).Single().Json;
        await Task.Delay(TimeSpan.FromSeconds(3)); // time for a second run to show itself, if there were one

        Assert.That(started.Received, Has.Count.EqualTo(1), "one job for one requestId, whichever worker took it");
        Assert.That(completed.Received, Has.Count.EqualTo(1));
        Assert.That(done.GetProperty("requestId").GetGuid(), Is.EqualTo(requestId));
        Assert.That(done.GetProperty("correlationId").GetGuid(), Is.EqualTo(requestId));
        Assert.That(done.GetProperty("tracking").GetProperty("store").GetString(), Is.EqualTo("local"));
        var artifact = done.GetProperty("artifact");
        var bytes = await File.ReadAllBytesAsync(new Uri(artifact.GetProperty("uri").GetString()!).LocalPath);
        Assert.That(ModelArtifact.Sha256(bytes), Is.EqualTo(artifact.GetProperty("sha256").GetString()));

        var jobs = new RedisTrainingJobStore(Redis, new RedisKeys(KeyPrefix), TimeProvider.System);
        var job = await jobs.GetAsync(requestId);
        Assert.That((job!.Status, job.Attempts), Is.EqualTo((JobStatus.Completed, 1)));
        Assert.That(JsonNode.Parse(job.ProgressJson!)!["epoch"]!.GetValue<int>(), Is.EqualTo(2));
    }

    [Test]
    public async Task Unknown_series_fails_fast_and_nothing_is_dead_lettered()
    {
        await StartTrainingAsync("trainer-a");
        var failed = await Amqp.TapAsync(Exchanges.TrainingFailed);
        var requestId = Guid.NewGuid();

        await Amqp.PublishAsync(Exchanges.TrainingRequested, RequestBody(requestId, Guid.NewGuid(), symbol: "NONE/USD"));

        var body = (await failed.WaitForCountAsync(1, TimeSpan.FromSeconds(30))).Single().Json;
        Assert.That(body.GetProperty("requestId").GetGuid(), Is.EqualTo(requestId));
        Assert.That(body.GetProperty("error").GetString(), Does.Contain("no candles are stored"));
        var errors = await Management.FindQueueAsync(VirtualHost, "training_error");
        Assert.That(errors?.GetProperty("messages").GetInt32() ?? 0, Is.Zero, "a bad request is answered, not dead-lettered");
    }
}

/// <summary>The job-store lease contract on a real Redis.</summary>
[Category("Broker")]
public sealed class RedisTrainingJobStoreTests : TrainingJobStoreContract
{
    RedisScratch? _redis;

    protected override ITrainingJobStore Store => new RedisTrainingJobStore(_redis!.Redis, _redis.Keys, TimeProvider.System);

    [SetUp]
    public async Task Connect() => _redis = await RedisScratch.CreateAsync();

    [TearDown]
    public async Task Clean()
    {
        if (_redis is not null)
            await _redis.DisposeAsync();
    }
}

/// <summary>The search store's contract on a real Redis.</summary>
[Category("Broker")]
public sealed class RedisSearchStoreTests : SearchStoreContract
{
    RedisScratch? _redis;

    protected override ISearchStore Store => new RedisSearchStore(_redis!.Redis, _redis.Keys);

    [SetUp]
    public async Task Connect() => _redis = await RedisScratch.CreateAsync();

    [TearDown]
    public async Task Clean()
    {
        if (_redis is not null)
            await _redis.DisposeAsync();
    }
}
