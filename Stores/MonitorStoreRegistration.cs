using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace NeuralTrade.Events.Stores;

public static class MonitorStoreRegistration
{
    /// <summary>The Redis monitor state when Redis is configured (shared by every instance), else in-memory.</summary>
    public static IHostApplicationBuilder AddMonitorStore(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (builder.AddNeuralTradeRedis())
            builder.Services.TryAddSingleton<IMonitorStore, RedisMonitorStore>();
        else
        {
            builder.Services.TryAddSingleton(TimeProvider.System);
            builder.Services.TryAddSingleton<IMonitorStore, InMemoryMonitorStore>();
        }

        return builder;
    }
}
