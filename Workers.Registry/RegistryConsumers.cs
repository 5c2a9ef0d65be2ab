using MassTransit;
using Microsoft.Extensions.Options;
using NeuralTrade.Events.Contracts;
using NeuralTrade.Events.Hosting;

namespace NeuralTrade.Events.Workers.Registry;

/// <summary><c>training.completed</c> → the champion gate → <c>model.deployed</c> or <c>model.rejected</c>.</summary>
public sealed class TrainingCompletedConsumer(ModelDecisions decisions) : IConsumer<TrainingCompleted>
{
    public const string QueueName = "registry";

    public async Task Consume(ConsumeContext<TrainingCompleted> context)
    {
        using var activity = RegistryTelemetry.Source.StartActivity("champion gate");
        activity?.SetTag("neuraltrade.model", context.Message.ModelName);
        var outcome = await decisions.DecideAsync(context.Message, context.CancellationToken);
        switch (outcome)
        {
            case ModelDeployed deployed:
                await context.Publish(deployed, context.CancellationToken);
                break;
            case ModelRejected rejected:
                await context.Publish(rejected, context.CancellationToken);
                break;
        }
    }
}

/// <summary><c>model.promote</c> (an operator's command) → <c>model.deployed</c>.</summary>
public sealed class PromoteModelConsumer(ModelDecisions decisions) : IConsumer<PromoteModel>
{
    public const string QueueName = "registry-promote";

    public async Task Consume(ConsumeContext<PromoteModel> context)
    {
        if (await decisions.PromoteAsync(context.Message, context.CancellationToken) is { } deployed)
            await context.Publish(deployed, context.CancellationToken);
    }
}

/// <summary><c>model.rollback</c> (an operator's command) → <c>model.deployed</c> of the previous champion.</summary>
public sealed class RollbackModelConsumer(ModelDecisions decisions) : IConsumer<RollbackModel>
{
    public const string QueueName = "registry-rollback";

    public async Task Consume(ConsumeContext<RollbackModel> context) =>
        await context.Publish(await decisions.RollbackAsync(context.Message, context.CancellationToken), context.CancellationToken);
}

// One queue per message type (a body without MassTransit's type header still reaches the right consumer), a few
// decisions at once (they serialise per model name on the lock).

public sealed class TrainingCompletedConsumerDefinition(IOptions<MessagingOptions> messaging)
    : QueueConsumerDefinition<TrainingCompletedConsumer>(messaging.Value, TrainingCompletedConsumer.QueueName, concurrentMessageLimit: 4);

public sealed class PromoteModelConsumerDefinition(IOptions<MessagingOptions> messaging)
    : QueueConsumerDefinition<PromoteModelConsumer>(messaging.Value, PromoteModelConsumer.QueueName, concurrentMessageLimit: 4);

public sealed class RollbackModelConsumerDefinition(IOptions<MessagingOptions> messaging)
    : QueueConsumerDefinition<RollbackModelConsumer>(messaging.Value, RollbackModelConsumer.QueueName, concurrentMessageLimit: 4);
