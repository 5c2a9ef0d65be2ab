using MassTransit;
using NeuralTrade.Events.Contracts;

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
