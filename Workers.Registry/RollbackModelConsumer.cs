using MassTransit;
using NeuralTrade.Events.Contracts;
using NeuralTrade.Events.Messaging;

namespace NeuralTrade.Events.Workers.Registry;

/// <summary><c>model.rollback</c> (an operator's command) → <c>model.deployed</c> of the previous champion.</summary>
public sealed class RollbackModelConsumer(ModelDecisions decisions) : IConsumer<RollbackModel>
{
    public const string QueueName = "registry-rollback";

    public async Task Consume(ConsumeContext<RollbackModel> context) =>
        await context.Publish(await decisions.RollbackAsync(context.Message, MessageKeys.Of(context), context.CancellationToken), context.CancellationToken);
}

// One queue per message type (a body without MassTransit's type header still reaches the right consumer), a few
// decisions at once (they serialise per model name on the lock).
