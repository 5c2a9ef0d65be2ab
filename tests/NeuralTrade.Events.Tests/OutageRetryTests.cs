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

    [Test]
    public void Outages_of_redis_and_mlflow_are_waited_out_and_refusals_are_not()
    {
        var marked = new NeuralTrade.Events.Tracking.MlflowException(System.Net.HttpStatusCode.ServiceUnavailable, "TEMPORARILY_UNAVAILABLE", "down");
        marked.Data[OutageRetryFilter.OutageMark] = true;
        Assert.Multiple(() =>
        {
            Assert.That(OutageRetryFilter.IsOutage(new StackExchange.Redis.RedisConnectionException(StackExchange.Redis.ConnectionFailureType.SocketFailure, "gone")), Is.True);
            Assert.That(OutageRetryFilter.IsOutage(new HttpRequestException("connection refused")), Is.True, "MLflow unreachable");
            Assert.That(OutageRetryFilter.IsOutage(new Polly.Timeout.TimeoutRejectedException()), Is.True, "MLflow timing out");
            Assert.That(OutageRetryFilter.IsOutage(marked), Is.True, "MLflow answering 503 (marked by the client)");
            Assert.That(OutageRetryFilter.IsOutage(new NeuralTrade.Events.Tracking.MlflowException(System.Net.HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST", "no such run")),
                Is.False, "a refusal is not an outage");
            Assert.That(OutageRetryFilter.IsOutage(new InvalidMessageException("bad")), Is.False);
            // A failover's answers from Redis servers (a demoted primary, a loading one, a replica asked for WAIT).
            Assert.That(OutageRetryFilter.IsOutage(new StackExchange.Redis.RedisServerException("READONLY You can't write against a read only replica.")), Is.True);
            Assert.That(OutageRetryFilter.IsOutage(new StackExchange.Redis.RedisServerException("LOADING Redis is loading the dataset in memory")), Is.True);
            Assert.That(OutageRetryFilter.IsOutage(new StackExchange.Redis.RedisServerException("ERR WAIT cannot be used with replica instances.")), Is.True);
            Assert.That(OutageRetryFilter.IsOutage(new StackExchange.Redis.RedisServerException("NOPERM this user has no permissions")), Is.False,
                "a refusal by the server is not an outage");
        });
    }

    [Test]
    public async Task The_mlflow_client_marks_server_errors_as_an_outage_and_client_errors_not()
    {
        await using var mlflow = await NeuralTrade.Events.Testing.FakeMlflowServer.StartAsync();
        using var http = new HttpClient { BaseAddress = new Uri(mlflow.Uri.TrimEnd('/') + "/api/2.0/") };
        var client = new NeuralTrade.Events.Tracking.MlflowClient(http);
        var missing = Assert.ThrowsAsync<NeuralTrade.Events.Tracking.MlflowException>(() => client.GetRunAsync("nope"));
        mlflow.Down = true;
        var down = Assert.ThrowsAsync<NeuralTrade.Events.Tracking.MlflowException>(() => client.GetRunAsync("nope"));
        Assert.That((OutageRetryFilter.IsOutage(missing!), OutageRetryFilter.IsOutage(down!)), Is.EqualTo((false, true)), "404 is a refusal, 503 an outage");
    }
}
