using System.Text.Json;
using NeuralTrade.Events.Contracts;
using NeuralTrade.Events.Stores;
using NeuralTrade.Events.Testing;
using NeuralTrade.Events.Workers.Registry;

namespace NeuralTrade.Events.IntegrationTests;

/// <summary>The Registry on a real RabbitMQ and Redis: several instances, one decision per model at a time.</summary>
[Category(TestCategories.Numerics)]
public sealed class RegistryBrokerTests : BrokerTest
{
    Task StartRegistryAsync() => StartHostAsync(b => b.AddRegistryWorker(), new Dictionary<string, string?>
    {
        ["Tracking:LocalDirectory"] = ScratchDirectory,
        ["Registry:Margin"] = "0", // equal candidates pass: every one must be promoted, one after another
    });


    [Test]
    public async Task Two_instances_decide_one_at_a_time_and_a_duplicate_promotes_once()
    {
        await CandleStore.AppendAsync(TrainedModels.Series, TrainedModels.Market, null);
        await StartRegistryAsync();
        await StartRegistryAsync();
        var deployed = await Amqp.TapAsync(Exchanges.ModelDeployed);
        var candidates = Enumerable.Range(1, 4).Select(i => TrainedModels.Completed(ScratchDirectory, $"run-{i}")).ToList();

        foreach (var candidate in candidates)
            await Amqp.PublishAsync(Exchanges.TrainingCompleted, JsonSerializer.Serialize(candidate, ContractJson.Options), candidate.EventId.ToString());
        var duplicate = candidates[0] with { EventId = Guid.NewGuid() }; // the same run announced again
        await Amqp.PublishAsync(Exchanges.TrainingCompleted, JsonSerializer.Serialize(duplicate, ContractJson.Options), duplicate.EventId.ToString());

        await deployed.WaitAsync(r => r.Select(d => d.Json.GetProperty("runId").GetString()).Distinct().Count() == 4, TimeSpan.FromSeconds(90),
            "four promotions");
        await Task.Delay(TimeSpan.FromSeconds(2));

        var events = deployed.Received.Select(d => d.Json).DistinctBy(j => j.GetProperty("eventId").GetString()).ToList();
        var chain = events.Select(j => (Version: j.GetProperty("version").GetInt32(),
            Previous: j.TryGetProperty("previousVersion", out var p) ? p.GetInt32() : (int?)null)).OrderBy(x => x.Version).ToList();
        Assert.That(chain, Is.EqualTo(new[] { (1, (int?)null), (2, (int?)1), (3, (int?)2), (4, (int?)3) }),
            "each decision saw the one before it: never two at once");
        Assert.That(await RegistryState.ListVersionsAsync(TrainedModels.ModelName), Has.Count.EqualTo(4), "the duplicate registered nothing");
        Assert.That((await RegistryState.GetChampionAsync(TrainedModels.ModelName))!.Version, Is.EqualTo(4));
        var errors = await Management.FindQueueAsync(VirtualHost, "registry_error");
        Assert.That(errors?.GetProperty("messages").GetInt32() ?? 0, Is.Zero);
    }

    [Test]
    public async Task Rollback_sent_by_a_plain_amqp_client_returns_to_the_previous_champion()
    {
        await CandleStore.AppendAsync(TrainedModels.Series, TrainedModels.Market, null);
        await StartRegistryAsync();
        var deployed = await Amqp.TapAsync(Exchanges.ModelDeployed);
        foreach (var run in new[] { "run-1", "run-2" })
        {
            var candidate = TrainedModels.Completed(ScratchDirectory, run);
            await Amqp.PublishAsync(Exchanges.TrainingCompleted, JsonSerializer.Serialize(candidate, ContractJson.Options));
            await deployed.WaitAsync(r => r.Any(d => d.Json.GetProperty("runId").GetString() == run), TimeSpan.FromSeconds(60), run);
        }

        await Amqp.PublishAsync(Exchanges.ModelRollback, $$"""{"modelName":"{{TrainedModels.ModelName}}","reason":"ops"}""");

        var back = (await deployed.WaitAsync(r => r.Any(d => d.Json.GetProperty("reason").GetString() == "rollback"), TimeSpan.FromSeconds(30)))
            .Single(d => d.Json.GetProperty("reason").GetString() == "rollback").Json;
        Assert.That((back.GetProperty("version").GetInt32(), back.GetProperty("previousVersion").GetInt32()), Is.EqualTo((1, 2)));
        Assert.That((await RegistryState.GetChampionAsync(TrainedModels.ModelName))!.Version, Is.EqualTo(1));
    }
}

/// <summary>The registry state on a real Redis: lock exclusion, idempotent versions, champion history.</summary>
[Category("Broker")]
public sealed class RedisModelRegistryStoreTests
{
    RedisScratch? _redis;
    IModelRegistryStore Store => new RedisModelRegistryStore(_redis!.Redis, _redis.Keys);

    [SetUp]
    public async Task Connect() => _redis = await RedisScratch.CreateAsync();

    [TearDown]
    public async Task Clean()
    {
        if (_redis is not null)
            await _redis.DisposeAsync();
    }

    static RegisteredVersion Version(string run) => new("m", 0, run, new ArtifactRef("file:///a", "00", 1), new Dictionary<string, double> { ["macro_f1"] = 0.5 },
        DateTimeOffset.UnixEpoch, RegisteredVersion.Local);

    [Test]
    public async Task The_lock_excludes_until_released()
    {
        await using (var held = await Store.TryLockAsync("m", TimeSpan.FromMinutes(1)))
        {
            Assert.That(held, Is.Not.Null);
            Assert.That(await Store.TryLockAsync("m", TimeSpan.FromMinutes(1)), Is.Null);
            Assert.That(await Store.TryLockAsync("other", TimeSpan.FromMinutes(1)), Is.Not.Null, "locks are per model name");
        }

        Assert.That(await Store.TryLockAsync("m", TimeSpan.FromMinutes(1)), Is.Not.Null);
    }

    [Test]
    public async Task Versions_are_numbered_once_per_run_and_champions_roll_back_in_order()
    {
        var v1 = await Store.AddVersionAsync(Version("r1"));
        var v2 = await Store.AddVersionAsync(Version("r2"));
        var again = await Store.AddVersionAsync(Version("r1"));
        var external = await Store.AddVersionAsync(Version("r7") with { Version = 7 });
        var next = await Store.AddVersionAsync(Version("r8"));
        Assert.That((v1.Version, v2.Version, again.Version, external.Version, next.Version), Is.EqualTo((1, 2, 1, 7, 8)));

        Assert.That(await Store.PromoteAsync("m", 1), Is.Null);
        Assert.That(await Store.PromoteAsync("m", 2), Is.EqualTo(1));
        Assert.That(await Store.PromoteAsync("m", 7), Is.EqualTo(2));
        Assert.That(await Store.RollbackAsync("m", expectedCurrent: 2), Is.False, "only from the champion it was asked about");
        Assert.That(await Store.RollbackAsync("m", expectedCurrent: 7), Is.True);
        Assert.That((await Store.GetChampionAsync("m"))!.Version, Is.EqualTo(2));
        Assert.That(await Store.PreviousChampionAsync("m"), Is.EqualTo(1));
        Assert.That((await Store.GetChampionsAsync()).Select(c => (c.ModelName, c.Version)), Is.EqualTo(new[] { ("m", 2) }));
        Assert.That(await Store.GetOrAddPlanAsync("k", "a"), Is.EqualTo("a"));
        Assert.That(await Store.GetOrAddPlanAsync("k", "b"), Is.EqualTo("a"));
    }
}
