using System.Threading.Channels;
using NeuralTrade.Events.Contracts;
using NeuralTrade.Events.Stores;
using StackExchange.Redis;

namespace NeuralTrade.Events.Cli;

/// <summary>
/// The services the commands talk to: the broker, its management API and Redis. <see cref="LiveFleetServices"/> reaches
/// the real ones; the unit tests put an in-memory fleet in its place, so each command runs whole without a service.
/// </summary>
internal interface IFleetServices
{
    Task<IBrokerSession> ConnectBrokerAsync(CancellationToken cancellationToken);

    /// <summary>The vhost's queues as the management API reports them, by name.</summary>
    Task<IReadOnlyList<QueueInfo>> ManagementQueuesAsync(CancellationToken cancellationToken);

    Task<RedisStores> ConnectRedisAsync(CancellationToken cancellationToken);
}

/// <summary>A plain AMQP session on the public contract (<see cref="BrokerSession"/>).</summary>
internal interface IBrokerSession : IAsyncDisposable
{
    Task PublishAsync<T>(string exchange, T message, CancellationToken cancellationToken) where T : IntegrationEvent;

    Task<ChannelReader<BrokerMessage>> ListenAsync(IEnumerable<string> exchanges, CancellationToken cancellationToken);

    /// <summary>Throws <see cref="CliException"/> where there is no such queue.</summary>
    Task<IQueueReader> OpenQueueAsync(string queue, CancellationToken cancellationToken);

    Task<(uint Ready, uint Consumers)?> CountAsync(string queue, CancellationToken cancellationToken);
}

/// <summary>One queue read message by message (<see cref="QueueReader"/>).</summary>
internal interface IQueueReader : IAsyncDisposable
{
    string Queue { get; }

    uint MessageCount { get; }

    Task<BrokerMessage?> NextAsync(CancellationToken cancellationToken);

    Task AckAsync(BrokerMessage message, CancellationToken cancellationToken);

    Task SendCopyAsync(BrokerMessage message, string targetQueue, CancellationToken cancellationToken);

    Task PurgeAsync(CancellationToken cancellationToken);
}

/// <summary>The fleet's stores in Redis that the commands read, and the connection behind them.</summary>
internal sealed class RedisStores(IModelRegistryStore registry, ICandleStore candles, IAsyncDisposable? connection = null, ISearchStore? searches = null)
    : IAsyncDisposable
{
    public IModelRegistryStore Registry => registry;

    public ICandleStore Candles => candles;

    /// <summary>Hyperparameter searches' state (what <c>neuraltrade search</c> follows).</summary>
    public ISearchStore Searches => searches ?? throw new CliException("this fleet keeps no search state");

    public ValueTask DisposeAsync() => connection?.DisposeAsync() ?? ValueTask.CompletedTask;
}

internal sealed class LiveFleetServices(CliSettings settings) : IFleetServices
{
    public async Task<IBrokerSession> ConnectBrokerAsync(CancellationToken cancellationToken) => await BrokerSession.ConnectAsync(settings, cancellationToken);

    public async Task<IReadOnlyList<QueueInfo>> ManagementQueuesAsync(CancellationToken cancellationToken)
    {
        using var management = new ManagementApi(settings);
        return await management.QueuesAsync(cancellationToken);
    }

    public async Task<RedisStores> ConnectRedisAsync(CancellationToken cancellationToken)
    {
        ConfigurationOptions options;
        try
        {
            options = settings.Redis.ToConfigurationOptions();
        }
        catch (Exception e) when (e is FormatException or IOException or System.Security.Cryptography.CryptographicException)
        {
            throw new CliException($"REDIS_URL / REDIS_CA_FILE: {e.Message}", ExitCodes.Usage);
        }

        options.AbortOnConnectFail = true;
        options.ConnectTimeout = 5_000;
        options.ConnectRetry = 1;
        var redis = await ConnectionMultiplexer.ConnectAsync(options);
        var keys = new RedisKeys(settings.RedisKeyPrefix);
        return new RedisStores(new RedisModelRegistryStore(redis, keys), new RedisCandleStore(redis, keys), redis, new RedisSearchStore(redis, keys));
    }
}
