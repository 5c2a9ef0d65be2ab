using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using NeuralTrade.Events.Hosting;
using NeuralTrade.Events.Messaging;
using NeuralTrade.Events.Stores;
using NeuralTrade.Events.Testing;
using StackExchange.Redis;

namespace NeuralTrade.Events.IntegrationTests;

/// <summary>
/// Each test gets its own RabbitMQ virtual host and its own Redis key prefix, so tests cannot see each
/// other's queues, messages or candles; both are removed afterwards.
/// </summary>
[Category("Broker")]
public abstract class BrokerTest
{
    readonly List<IHost> _hosts = [];
    protected string VirtualHost { get; private set; } = "";
    protected string KeyPrefix { get; private set; } = "";
    /// <summary>A directory of this test's own (run records, artifacts), removed afterwards.</summary>
    protected string ScratchDirectory { get; private set; } = "";
    protected Management Management { get; private set; } = null!;
    protected IConnectionMultiplexer Redis { get; private set; } = null!;
    protected RawAmqp Amqp { get; private set; } = null!;

    [SetUp]
    public async Task CreateIsolatedServices()
    {
        var id = Guid.NewGuid().ToString("N")[..10];
        VirtualHost = $"nt-test-{id}";
        KeyPrefix = $"nt-test-{id}";
        ScratchDirectory = Path.Combine(Path.GetTempPath(), $"nt-test-{id}");
        Redis = await Services.ConnectRedisAsync();
        Management = Services.CreateManagement();
        await Management.CreateVirtualHostAsync(VirtualHost, Services.RabbitMq().Username);
        Amqp = await RawAmqp.ConnectAsync(Services.UrlFor(VirtualHost));
    }

    [TearDown]
    public async Task RemoveIsolatedServices()
    {
        foreach (var host in _hosts)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            try
            {
                await host.StopAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                // A test that hangs a consumer on purpose leaves it hanging; the host is discarded anyway.
            }

            host.Dispose();
        }

        _hosts.Clear();
        await AfterHostsStoppedAsync();
        if (Directory.Exists(ScratchDirectory))
            Directory.Delete(ScratchDirectory, recursive: true);
        if (Amqp is not null)
            await Amqp.DisposeAsync();
        if (Management is not null)
        {
            await Management.DeleteVirtualHostAsync(VirtualHost);
            Management.Dispose();
        }

        if (Redis is not null)
        {
            var server = Redis.GetServers().First();
            var keys = server.Keys(pattern: $"{KeyPrefix}:*", pageSize: 1000).ToArray();
            if (keys.Length > 0)
                await Redis.GetDatabase().KeyDeleteAsync(keys);
            await Redis.DisposeAsync();
        }
    }

    protected RedisCandleStore CandleStore => new(Redis, new RedisKeys(KeyPrefix));

    protected RedisModelRegistryStore RegistryState => new(Redis, new RedisKeys(KeyPrefix));

    /// <summary>Registers the small trained model of <see cref="TrainedModels"/> (artifact in the scratch directory), as the Registry would, and optionally makes it the champion.</summary>
    protected async Task<RegisteredVersion> RegisterTrainedModelAsync(string runId, bool champion)
    {
        var completed = TrainedModels.Completed(ScratchDirectory, runId);
        var version = await RegistryState.AddVersionAsync(new RegisteredVersion(completed.ModelName, 0, runId, completed.Artifact, completed.Metrics,
            DateTimeOffset.UtcNow, RegisteredVersion.Local));
        if (champion)
            await RegistryState.PromoteAsync(completed.ModelName, version.Version);
        return version;
    }

    /// <summary>Clean-up that must wait until this test's workers have stopped.</summary>
    protected virtual Task AfterHostsStoppedAsync() => Task.CompletedTask;

    /// <summary>Starts a worker process-alike on the real broker and Redis of this test.</summary>
    protected async Task<IHost> StartHostAsync(Action<IHostApplicationBuilder> addWorker, IDictionary<string, string?>? settings = null,
        Action<IServiceCollection>? services = null)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        services?.Invoke(builder.Services);
        builder.AddServiceDefaults("integration-test");
        // After the service defaults, so that the test's settings win over RABBITMQ_URL / REDIS_URL in the environment.
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Messaging:RabbitMqUrl"] = Services.UrlFor(VirtualHost),
            ["Messaging:RetryIntervalsMs"] = "50,50,50",
            ["Messaging:StopTimeoutSeconds"] = "3",
            ["Redis:Url"] = Services.RedisUrl,
            ["Redis:KeyPrefix"] = KeyPrefix,
        });
        builder.Configuration.AddInMemoryCollection(TrainedModels.GateForTests);
        if (settings is not null)
            builder.Configuration.AddInMemoryCollection(settings);
        addWorker(builder);
        builder.AddNeuralTradeBus();
        var host = builder.Build();
        _hosts.Add(host);
        await host.StartAsync();
        return host;
    }
}
