using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using NeuralTrade.Events.MarketData;

namespace NeuralTrade.Events.Stores;

public static class CandleStoreRegistration
{
    /// <summary>The candle store (Redis when <c>REDIS_URL</c> is set, else in-memory), the message ledger and the validator.</summary>
    public static IHostApplicationBuilder AddCandleStore(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.AddMessageLedger();
        if (builder.AddNeuralTradeRedis())
            builder.Services.TryAddSingleton<ICandleStore, RedisCandleStore>();
        else
            builder.Services.TryAddSingleton<ICandleStore, InMemoryCandleStore>();

        builder.Services.AddOptions<CandleRules>().BindConfiguration(CandleRules.SectionName);
        builder.Services.TryAddSingleton(sp =>
            new CandleValidator(sp.GetRequiredService<IOptions<CandleRules>>().Value, sp.GetRequiredService<TimeProvider>()));
        return builder;
    }
}
