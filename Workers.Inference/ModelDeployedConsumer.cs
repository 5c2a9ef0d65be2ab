using MassTransit;
using NeuralTrade.Events.Contracts;

namespace NeuralTrade.Events.Workers.Inference;

/// <summary><c>model.deployed</c>, on a queue of this instance's own: every instance swaps.</summary>
public sealed class ModelDeployedConsumer(ModelSwapper swapper) : IConsumer<ModelDeployed>
{
    public async Task Consume(ConsumeContext<ModelDeployed> context) =>
        await swapper.SwapAsync(context.Message.ModelName, context.Message.Version, context.Message.Artifact, context.CancellationToken);
}
