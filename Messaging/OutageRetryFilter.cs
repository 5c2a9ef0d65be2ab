using MassTransit;
using Polly;

namespace NeuralTrade.Events.Messaging;

/// <summary>
/// Retries the whole consume (the inner retry included) while the failure is an outage of a dependency: Redis
/// unreachable or timing out, MLflow unreachable, timing out, behind an open circuit or answering 5xx/429 (marked
/// <see cref="OutageMark"/> by the MLflow client). Polly's exponential backoff with jitter, 1 s doubling to 30 s, for
/// about the configured time; anything else passes straight through.
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
            ShouldHandle = new Polly.PredicateBuilder().Handle<Exception>(IsOutage),
            BackoffType = Polly.DelayBackoffType.Exponential,
            UseJitter = true,
            Delay = first,
            MaxDelay = most,
            MaxRetryAttempts = attempts,
        }).Build();
    }

    /// <summary>The <see cref="Exception.Data"/> key by which a client marks an exception as its service's outage.</summary>
    public const string OutageMark = "neuraltrade.outage";

    /// <summary>True for a dependency that is down or overloaded, as opposed to a request it refused.</summary>
    public static bool IsOutage(Exception exception) => exception switch
    {
        StackExchange.Redis.RedisConnectionException or StackExchange.Redis.RedisTimeoutException => true,
        // During a failover: a demoted primary refuses writes (READONLY), a promoted or restarted one is loading its
        // data (LOADING), a replica refuses WAIT, none is primary yet (MASTERDOWN).
        StackExchange.Redis.RedisServerException server when IsFailoverAnswer(server.Message) => true,
        System.Net.Http.HttpRequestException or Polly.Timeout.TimeoutRejectedException or Polly.CircuitBreaker.BrokenCircuitException => true,
        _ when exception.Data.Contains(OutageMark) => true,
        _ => false,
    };

    static bool IsFailoverAnswer(string message) =>
        message.StartsWith("READONLY", StringComparison.Ordinal) || message.StartsWith("LOADING", StringComparison.Ordinal)
        || message.StartsWith("MASTERDOWN", StringComparison.Ordinal) || message.Contains("WAIT cannot be used with replica instances", StringComparison.Ordinal);

    public async Task Send(ConsumeContext context, IPipe<ConsumeContext> next) =>
        await _pipeline.ExecuteAsync(async token => await next.Send(context).ConfigureAwait(false), context.CancellationToken).ConfigureAwait(false);

    public void Probe(ProbeContext context) => context.CreateFilterScope("outage-retry").Add("seconds", _seconds);
}
