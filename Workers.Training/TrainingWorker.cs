using NeuralTrade.Events.Contracts;
using MassTransit;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using NeuralTrade.Events.Messaging;
using NeuralTrade.Events.Stores;
using NeuralTrade.Events.Tracking;
using NeuralTrade.Events.Workers.Training.Search;

namespace NeuralTrade.Events.Workers.Training;

public static class TrainingWorker
{
    public static IHostApplicationBuilder AddTrainingWorker(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<TrainingOptions>().BindConfiguration(TrainingOptions.SectionName).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<TrainingOptions>, TrainingOptionsValidator>();
        builder.AddCandleStore();
        builder.AddRunTracking();
        if (builder.AddNeuralTradeRedis())
        {
            builder.Services.TryAddSingleton<ITrainingJobStore, RedisTrainingJobStore>();
            builder.Services.TryAddSingleton<ISearchStore, RedisSearchStore>();
        }
        else
        {
            builder.Services.TryAddSingleton<ITrainingJobStore, InMemoryTrainingJobStore>();
            builder.Services.TryAddSingleton<ISearchStore, InMemorySearchStore>();
        }

        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.TryAddSingleton<TrainingEvents>(); // replaceable: the tests inject a broker blip
        builder.Services.AddSingleton<TrainingRun>();
        builder.Services.AddHostedService<TrainingJobRunner>();
        builder.Services.AddBusContributor("training", x =>
            {
                x.AddConsumer<TrainingRequestedConsumer, TrainingRequestedConsumerDefinition>();
                x.AddConsumer<TrainingTrialConsumer, TrainingTrialConsumerDefinition>();
            },
            typeof(TrainingStarted), typeof(TrainingCompleted), typeof(TrainingFailed), typeof(TrainingTrialRequested));
        return builder;
    }
}
