using MassTransit;
using NeuralTrade.Events.Contracts;
using NeuralTrade.Events.Messaging;

namespace NeuralTrade.Events.Workers.Registry;

/// <summary><c>training.completed</c> → the champion gate → <c>model.deployed</c> or <c>model.rejected</c>.</summary>
public sealed class TrainingCompletedConsumer(ModelDecisions decisions) : IConsumer<TrainingCompleted>
{
    public const string QueueName = "registry";

    /// <summary>Fault point: the decision is announced and the message not yet acknowledged.</summary>
    public const string AfterPublish = "registry.after-publish";

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

        FaultPoints.Reach(AfterPublish);
    }
}
