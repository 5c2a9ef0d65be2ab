using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace NeuralTrade.Events.Hosting;

public static class RedisRegistration
{
    /// <summary>
    /// Registers one shared <see cref="IConnectionMultiplexer"/> when <c>REDIS_URL</c> is set; the caller picks
    /// its Redis-backed or in-memory stores from <see cref="RedisOptions.IsConfigured"/>.
    /// </summary>
    public static bool AddNeuralTradeRedis(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var options = builder.Configuration.GetSection(RedisOptions.SectionName).Get<RedisOptions>() ?? new RedisOptions();
        if (!options.IsConfigured)
            return false;

        if (builder.Services.Any(d => d.ServiceType == typeof(IConnectionMultiplexer)))
            return true;

        builder.Services.AddSingleton<IConnectionMultiplexer>(sp =>
            ConnectionMultiplexer.Connect(sp.GetRequiredService<IOptions<RedisOptions>>().Value.ToConfigurationOptions()));
        builder.Services.AddHealthChecks().AddCheck<RedisHealthCheck>("redis", tags: ["ready"]);
        return true;
    }
}

/// <summary>Ready only while Redis answers a PING.</summary>
public sealed class RedisHealthCheck(IConnectionMultiplexer redis) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var latency = await redis.GetDatabase().PingAsync().WaitAsync(TimeSpan.FromSeconds(2), cancellationToken);
            return HealthCheckResult.Healthy($"PING {latency.TotalMilliseconds:F1} ms");
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            return HealthCheckResult.Unhealthy("Redis does not answer.", e);
        }
    }
}

/// <summary>The key scheme of everything the fleet keeps in Redis: <c>{prefix}:{area}:…</c>.</summary>
public sealed class RedisKeys(string prefix)
{
    public string Prefix { get; } = prefix;

    public RedisKey For(string area, string id) => $"{Prefix}:{area}:{id}";

    public RedisKey For(string area, string id, string suffix) => $"{Prefix}:{area}:{id}:{suffix}";
}
