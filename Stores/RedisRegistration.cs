using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace NeuralTrade.Events.Stores;

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
        builder.Services.AddSingleton<RedisReplication>();
        builder.Services.AddHealthChecks().AddCheck<RedisHealthCheck>("redis", tags: ["ready"]);
        return true;
    }
}
