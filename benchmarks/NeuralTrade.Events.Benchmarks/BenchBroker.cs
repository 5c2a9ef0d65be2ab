using System.Net.Http.Headers;
using System.Text;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using NeuralTrade.Events.Hosting;
using NeuralTrade.Events.Messaging;
using NeuralTrade.Events.Stores;
using StackExchange.Redis;

namespace NeuralTrade.Events.Benchmarks;

/// <summary>A private RabbitMQ virtual host and Redis key prefix for one benchmark run, removed afterwards.</summary>
internal sealed class BenchBroker : IAsyncDisposable
{
    readonly HttpClient _management;
    readonly string _redisUrl;

    BenchBroker(HttpClient management, string redisUrl, string vhost, string url)
    {
        _management = management;
        _redisUrl = redisUrl;
        VirtualHost = vhost;
        Url = url;
        KeyPrefix = vhost;
    }

    public string VirtualHost { get; }
    public string Url { get; }
    public string KeyPrefix { get; }

    public static async Task<BenchBroker> CreateAsync(string rabbitUrl, string managementUrl, string redisUrl)
    {
        if (!RabbitMqAddress.TryParse(rabbitUrl, out var address, out var error))
            throw new ArgumentException($"RABBITMQ_URL: {error}");
        var management = new HttpClient { BaseAddress = new Uri(managementUrl.TrimEnd('/') + "/") };
        management.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes($"{address!.Username}:{address.Password}")));
        var vhost = $"nt-bench-{Guid.NewGuid().ToString("N")[..8]}";
        (await management.PutAsync($"api/vhosts/{vhost}", null)).EnsureSuccessStatusCode();
        (await management.PutAsync($"api/permissions/{vhost}/{Uri.EscapeDataString(address.Username)}",
            new StringContent("""{"configure":".*","write":".*","read":".*"}""", Encoding.UTF8, "application/json"))).EnsureSuccessStatusCode();
        var url = $"amqp://{Uri.EscapeDataString(address.Username)}:{Uri.EscapeDataString(address.Password)}@{address.Host}:{address.Port}/{vhost}";
        return new BenchBroker(management, redisUrl, vhost, url);
    }

    /// <summary>
    /// A started host of the workers that <paramref name="workers"/> adds, on this virtual host and key prefix, with its
    /// models under <paramref name="directory"/>; the benchmark's candles are historical, so the validator does not
    /// refuse them as too old or not closed.
    /// </summary>
    public async Task<IHost> StartHostAsync(string directory, string instanceId, Action<HostApplicationBuilder> workers)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.AddServiceDefaults("benchmark");
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Messaging:RabbitMqUrl"] = Url,
            ["Redis:Url"] = _redisUrl,
            ["Redis:KeyPrefix"] = KeyPrefix,
            ["Tracking:LocalDirectory"] = directory,
            ["Inference:InstanceId"] = instanceId,
            ["Candles:RequireClosed"] = "false",
        });
        workers(builder);
        builder.AddNeuralTradeBus();
        var host = builder.Build();
        await host.StartAsync();
        return host;
    }

    public async ValueTask DisposeAsync()
    {
        await _management.DeleteAsync($"api/vhosts/{VirtualHost}");
        _management.Dispose();
        await using var redis = await ConnectionMultiplexer.ConnectAsync(new RedisOptions { Url = _redisUrl }.ToConfigurationOptions());
        var keys = redis.GetServers().First().Keys(pattern: $"{KeyPrefix}:*", pageSize: 5_000).ToArray();
        foreach (var chunk in keys.Chunk(5_000))
            await redis.GetDatabase().KeyDeleteAsync(chunk);
    }
}
