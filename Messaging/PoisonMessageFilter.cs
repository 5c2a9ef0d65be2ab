using MassTransit;

namespace NeuralTrade.Events.Messaging;

/// <summary>
/// Moves a message to <c>&lt;queue&gt;_error</c> once its handling has been started <see cref="MessagingOptions.PoisonAttempts"/>
/// times after redeliveries without ever finishing: the worker crashed, was killed, hung past the consumer timeout or
/// lost the broker each time. A first delivery costs nothing; a redelivered one is counted (in Redis for a deployed
/// worker) as it starts, so the count survives the crash it may cause. The broker's delivery limit on the queue is the
/// backstop for what never gets this far.
/// Redelivered messages are handled one at a time, and counted only once they start: after a crash, the poison runs
/// alone among them, so the innocent messages that sat beside it (in flight or prefetched) are not counted each time it
/// kills the worker again. At most the ones that ran beside its first, uncounted delivery are counted, once.
/// </summary>
internal sealed class PoisonMessageFilter(string queue, int limit, IDeliveryAttempts attempts) : IFilter<ConsumeContext>
{
    readonly SemaphoreSlim _redelivered = new(1, 1);

    public async Task Send(ConsumeContext context, IPipe<ConsumeContext> next)
    {
        if (!context.ReceiveContext.Redelivered)
        {
            await next.Send(context).ConfigureAwait(false);
            return;
        }

        await _redelivered.WaitAsync(context.CancellationToken).ConfigureAwait(false);
        try
        {
            var started = await attempts.StartAsync(queue, MessageKeys.Of(context), context.CancellationToken).ConfigureAwait(false);
            if (started >= limit)
            {
                throw new PoisonMessageException(
                    $"{queue}: poison message: its handling was started {started} times after redeliveries and never finished (the " +
                    "worker crashed, was killed, hung or lost the broker each time); moved aside instead of being handled again " +
                    $"(Messaging:PoisonAttempts = {limit})");
            }

            await next.Send(context).ConfigureAwait(false);
        }
        finally
        {
            _redelivered.Release();
        }
    }

    public void Probe(ProbeContext context)
    {
        var scope = context.CreateFilterScope("poison");
        scope.Add("queue", queue);
        scope.Add("limit", limit);
    }
}
