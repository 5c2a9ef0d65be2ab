using NeuralTrade.Events.Contracts;
using MassTransit;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using NeuralTrade.Events.Messaging;
using NeuralTrade.Events.Stores;
using NeuralTrade.Events.Tracking;

namespace NeuralTrade.Events.Workers.Inference;

public static class InferenceWorker
{
    /// <summary>Call before <c>AddNeuralTradeBus</c>: the champions load before the bus takes requests.</summary>
    public static IHostApplicationBuilder AddInferenceWorker(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<InferenceOptions>().BindConfiguration(InferenceOptions.SectionName).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<InferenceOptions>, InferenceOptionsValidator>();
        // Every close reads each series' newest window again: keep the decoded candles, fetch only the new ones.
        if (builder.Configuration.GetValue($"{InferenceOptions.SectionName}:{nameof(InferenceOptions.CacheRecentCandles)}", true))
            builder.Services.TryAddSingleton<RecentCandles>();
        builder.AddCandleStore();
        builder.AddRunTracking();
        builder.AddModelRegistryStore();
        if (builder.AddNeuralTradeRedis())
            builder.Services.TryAddSingleton<IPredictionCache, RedisPredictionCache>();
        else
            builder.Services.TryAddSingleton<IPredictionCache, InMemoryPredictionCache>();
        builder.Services.AddSingleton(_ =>
        {
            var catalog = new ModelCatalog();
            InferenceTelemetry.ObserveVersions(catalog);
            return catalog;
        });
        builder.Services.AddSingleton<ModelSwapper>();
        builder.Services.AddSingleton<BatchingPredictor>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<BatchingPredictor>());
        builder.Services.AddSingleton<ChampionLoader>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<ChampionLoader>());
        builder.Services.AddHealthChecks().AddCheck<ChampionLoader>("champions", tags: ["ready"]);
        builder.Services.AddSingleton<PredictionService>();
        builder.Services.AddBusContributor("inference", x =>
        {
            x.AddConsumer<PredictionRequestedConsumer, PredictionRequestedConsumerDefinition>();
            x.AddConsumer<DataIngestedConsumer, DataIngestedConsumerDefinition>();
            x.AddConsumer<ModelDeployedConsumer, ModelDeployedConsumerDefinition>();
        }, typeof(PredictionCompleted), typeof(PredictionFailed));
        return builder;
    }
}
