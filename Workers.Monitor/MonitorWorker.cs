using NeuralTrade.Events.Contracts;
using MassTransit;
using Microsoft.Extensions.Options;
using NeuralTrade.Events.Messaging;
using NeuralTrade.Events.Stores;
using NeuralTrade.Events.Tracking;

namespace NeuralTrade.Events.Workers.Monitor;

public static class MonitorWorker
{
    /// <summary>Registers the monitor: options (validated at start), its state store, the champion baselines and its consumers on <c>monitor</c> and <c>monitor-predictions</c>.</summary>
    public static IHostApplicationBuilder AddMonitorWorker(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<MonitorOptions>().BindConfiguration(MonitorOptions.SectionName).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<MonitorOptions>, MonitorOptionsValidator>();
        builder.Services.AddSingleton<IValidateOptions<MonitorOptions>, MonitorOptionsConsistency>();
        builder.AddCandleStore();
        builder.AddRunTracking();
        builder.AddModelRegistryStore();
        builder.AddMonitorStore();
        builder.Services.AddSingleton<ChampionBaselines>();
        builder.Services.AddSingleton<DriftMonitor>();
        builder.Services.AddBusContributor("monitor", x =>
        {
            x.AddConsumer<MonitorDataIngestedConsumer, MonitorDataIngestedConsumerDefinition>();
            x.AddConsumer<MonitorPredictionCompletedConsumer, MonitorPredictionCompletedConsumerDefinition>();
        }, typeof(DriftDetected), typeof(TrainingRequested));
        return builder;
    }
}
