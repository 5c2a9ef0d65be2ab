using MassTransit;
using NeuralTrade.Events.Contracts;
using NeuralTrade.Events.Messaging;

namespace NeuralTrade.Events.Workers.Registry;

/// <summary><c>model.promote</c> (an operator's command) → <c>model.deployed</c>.</summary>
public sealed class PromoteModelConsumer(ModelDecisions decisions) : IConsumer<PromoteModel>
{
    public const string QueueName = "registry-promote";

    public async Task Consume(ConsumeContext<PromoteModel> context)
    {
        if (await decisions.PromoteAsync(context.Message, MessageKeys.Of(context), context.CancellationToken) is { } deployed)
            await context.Publish(deployed, context.CancellationToken);
    }
}
