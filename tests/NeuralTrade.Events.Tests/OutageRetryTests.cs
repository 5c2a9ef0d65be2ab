using MassTransit;
using MassTransit.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using NeuralTrade.Events.Messaging;
using StackExchange.Redis;

namespace NeuralTrade.Events.Tests;

/// <summary>The fleet's retry on the in-memory harness: a Redis outage is waited out; other failures are retried briefly, then dead-lettered.</summary>
public sealed class OutageRetryTests
{
    public sealed record Ping(Guid Id);

    public sealed class FlakyConsumer : IConsumer<Ping>
    {
        public static int FailuresLeft;
        public static Func<Exception> Failure = () => new RedisConnectionException(ConnectionFailureType.UnableToConnect, "Redis is down");
        public static int Attempts;

        public Task Consume(ConsumeContext<Ping> context)
        {
            Interlocked.Increment(ref Attempts);
            if (Interlocked.Decrement(ref FailuresLeft) >= 0)
                throw Failure();
            return Task.CompletedTask;
        }
    }

    public sealed class FlakyDefinition(IOptions<MessagingOptions> messaging) : QueueConsumerDefinition<FlakyConsumer>(messaging.Value, "flaky", 1);

    static async Task<(ITestHarness Harness, ServiceProvider Provider)> StartAsync(int outageSeconds)
    {
        var services = new ServiceCollection();
        services.Configure<MessagingOptions>(o =>
        {
            o.RetryIntervalsMs = "10,10,10";
            o.OutageRetrySeconds = outageSeconds;
        });
        services.AddMassTransitTestHarness(x => x.AddConsumer<FlakyConsumer, FlakyDefinition>());
        var provider = services.BuildServiceProvider(true);
        var harness = provider.GetRequiredService<ITestHarness>();
        harness.TestInactivityTimeout = TimeSpan.FromSeconds(10);
        await harness.Start();
        return (harness, provider);
    }

    [Test]
    public async Task A_redis_outage_longer_than_the_plain_retries_is_waited_out()
    {
        FlakyConsumer.Attempts = 0;
        FlakyConsumer.FailuresLeft = 6; // the plain retries give 4 attempts
        FlakyConsumer.Failure = () => new RedisConnectionException(ConnectionFailureType.UnableToConnect, "Redis is down");
        var (harness, provider) = await StartAsync(outageSeconds: 5);
        await using var _ = provider;
        await harness.Bus.Publish(new Ping(Guid.NewGuid()));

        Assert.That(await harness.Consumed.Any<Ping>(c => c.Exception is null), Is.True, "handled once Redis is back");
        Assert.That(await harness.Published.Any<Fault<Ping>>(), Is.False, "not dead-lettered");
        Assert.That(FlakyConsumer.Attempts, Is.EqualTo(7));
    }

    [Test]
    public async Task Other_failures_keep_the_short_retry_and_then_fault()
    {
        FlakyConsumer.Attempts = 0;
        FlakyConsumer.FailuresLeft = 100;
        FlakyConsumer.Failure = () => new InvalidOperationException("a bug");
        var (harness, provider) = await StartAsync(outageSeconds: 60);
        await using var _ = provider;
        await harness.Bus.Publish(new Ping(Guid.NewGuid()));

        Assert.That(await harness.Published.Any<Fault<Ping>>(), Is.True);
        Assert.That(FlakyConsumer.Attempts, Is.EqualTo(4), "one attempt and three retries, no outage wait");
    }
}
