using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace NeuralTrade.Events.Stores;

public static class ModelRegistryRegistration
{
    /// <summary>The Redis registry state when Redis is configured (shared by every instance), else in-memory.</summary>
    public static IHostApplicationBuilder AddModelRegistryStore(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (builder.AddNeuralTradeRedis())
            builder.Services.TryAddSingleton<IModelRegistryStore, RedisModelRegistryStore>();
        else
            builder.Services.TryAddSingleton<IModelRegistryStore, InMemoryModelRegistryStore>();
        return builder;
    }
}
