using MassTransit;
using Polly;

namespace NeuralTrade.Events.Messaging;

/// <summary>
/// Retries the whole consume (the inner retry included) while the failure is a Redis outage: Polly's exponential
/// backoff with jitter, 1 s doubling to 30 s, for about the configured time; anything else passes straight through.
/// </summary>
internal sealed class OutageRetryFilter : IFilter<ConsumeContext>
{
    readonly Polly.ResiliencePipeline _pipeline;
    readonly int _seconds;

    public OutageRetryFilter(int seconds)
    {
        _seconds = seconds;
        var (attempts, first, most) = EndpointConventions.OutageSchedule(seconds);
        _pipeline = new Polly.ResiliencePipelineBuilder().AddRetry(new Polly.Retry.RetryStrategyOptions
        {
            ShouldHandle = new Polly.PredicateBuilder().Handle<StackExchange.Redis.RedisConnectionException>().Handle<StackExchange.Redis.RedisTimeoutException>(),
            BackoffType = Polly.DelayBackoffType.Exponential,
            UseJitter = true,
            Delay = first,
            MaxDelay = most,
            MaxRetryAttempts = attempts,
        }).Build();
    }

    public async Task Send(ConsumeContext context, IPipe<ConsumeContext> next) =>
        await _pipeline.ExecuteAsync(async token => await next.Send(context).ConfigureAwait(false), context.CancellationToken).ConfigureAwait(false);

    public void Probe(ProbeContext context) => context.CreateFilterScope("outage-retry").Add("seconds", _seconds);
}
