using NeuralTrade.Events.Contracts;
using MassTransit;
using Microsoft.Extensions.Options;
using NeuralTrade.Events.Messaging;
using NeuralTrade.Events.Stores;
using NeuralTrade.Events.Tracking;

namespace NeuralTrade.Events.Workers.Registry;

public static class RegistryWorker
{
    public static IHostApplicationBuilder AddRegistryWorker(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<RegistryOptions>().BindConfiguration(RegistryOptions.SectionName).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<RegistryOptions>, RegistryOptionsValidator>();
        builder.AddCandleStore();
        builder.AddRunTracking();
        builder.AddModelRegistryStore();
        builder.Services.AddSingleton<ModelDecisions>();
        builder.Services.AddBusContributor("registry", x =>
        {
            x.AddConsumer<TrainingCompletedConsumer, TrainingCompletedConsumerDefinition>();
            x.AddConsumer<PromoteModelConsumer, PromoteModelConsumerDefinition>();
            x.AddConsumer<RollbackModelConsumer, RollbackModelConsumerDefinition>();
        }, typeof(ModelDeployed), typeof(ModelRejected));
        return builder;
    }
}
