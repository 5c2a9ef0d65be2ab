using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace NeuralTrade.Events.Stores;

public static class MessageLedgerRegistration
{
    /// <summary>The Redis ledger when Redis is configured (shared by instances, survives restarts), else in-memory.</summary>
    public static IHostApplicationBuilder AddMessageLedger(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (builder.AddNeuralTradeRedis())
            builder.Services.TryAddSingleton<IMessageLedger, RedisMessageLedger>();
        else
            builder.Services.TryAddSingleton<IMessageLedger, InMemoryMessageLedger>();
        return builder;
    }
}
