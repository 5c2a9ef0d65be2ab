using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using NeuralTrade.Events.Hosting;
using NeuralTrade.Events.Messaging;
using NeuralTrade.Events.Stores;

namespace NeuralTrade.Events.Tests;

[NonParallelizable]
public sealed class HostingTests
{
    [Test]
    public void DeterministicGuid_is_rfc9562_version_5()
    {
        // RFC 9562 appendix A.4: UUIDv5 of "www.example.com" in the DNS namespace.
        var dns = Guid.Parse("6ba7b810-9dad-11d1-80b4-00c04fd430c8");

        Assert.That(DeterministicGuid.Create(dns, "www.example.com"), Is.EqualTo(Guid.Parse("2ed6657d-e927-568b-95e1-2665a8aea6a2")));
        var first = DeterministicGuid.Create("a");
        Assert.That(DeterministicGuid.Create("a"), Is.EqualTo(first));
        Assert.That(DeterministicGuid.Create("a"), Is.Not.EqualTo(DeterministicGuid.Create("b")));
    }

    [TestCase("amqp://guest:guest@localhost:5672/", "localhost", 5672, "/", false)]
    [TestCase("amqps://ingest:s%40cret@rabbit.internal/trading", "rabbit.internal", 5671, "trading", true)]
    [TestCase("amqp://rabbit", "rabbit", 5672, "/", false)]
    public void RabbitMq_url_is_parsed(string url, string host, int port, string vhost, bool tls)
    {
        Assert.That(RabbitMqAddress.TryParse(url, out var address, out var error), Is.True, error);
        Assert.That(address, Is.EqualTo(address! with { Host = host, Port = port, VirtualHost = vhost, UseTls = tls }));
    }

    [Test]
    public void Cluster_nodes_follow_the_url_host_in_order_without_repeats()
    {
        var options = new MessagingOptions
        {
            RabbitMqUrl = "amqp://guest:guest@127.0.0.1:5691/",
            ClusterNodes = "127.0.0.1:5691, 127.0.0.1:5692 ,rabbit-3,rabbit-4.internal:5694",
        };

        Assert.That(options.Endpoints(), Is.EqualTo(new[] { ("127.0.0.1", 5691), ("127.0.0.1", 5692), ("rabbit-3", 5691), ("rabbit-4.internal", 5694) }));
        Assert.That(new MessagingOptions { RabbitMqUrl = "amqps://u:p@rabbit/" }.Endpoints(), Is.EqualTo(new[] { ("rabbit", 5671) }));
    }

    [TestCase("amqp://guest:guest@127.0.0.1:5691/", "127.0.0.1:notaport", "'127.0.0.1:notaport' is not host or host:port")]
    [TestCase("amqp://guest:guest@127.0.0.1:5691/", "user:s3cret@rabbit:5672", "'***@rabbit:5672' carries credentials")]
    [TestCase("amqp://guest:guest@127.0.0.1:5691/", "[::1]:5672", "is an IPv6 address")]
    [TestCase("amqp://guest:guest@127.0.0.1:5691/", "rabbit:5672/vhost", "is not host or host:port")]
    [TestCase("amqp://guest:guest@127.0.0.1:5691/", "a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q", "names 17 nodes; at most 16")]
    [TestCase(null, "rabbit-1:5672", "set without RABBITMQ_URL")]
    public void Bad_cluster_nodes_are_refused_with_the_reason(string? url, string nodes, string expected)
    {
        var result = new MessagingOptionsUrlValidator().Validate(null, new MessagingOptions { RabbitMqUrl = url, ClusterNodes = nodes });

        Assert.That(result.Failed, Is.True);
        Assert.That(result.FailureMessage, Does.Contain("RABBITMQ_CLUSTER_NODES").And.Contain(expected));
        Assert.That(result.FailureMessage, Does.Not.Contain("s3cret"), "no password in the message");
    }

    [Test]
    public void Password_is_redacted_from_urls_in_messages()
    {
        Assert.That(RabbitMqAddress.Redact("amqp://ingest:topsecret@rabbit:5672/"), Is.EqualTo("amqp://ingest:***@rabbit:5672/"));
    }

    [TestCase("Messaging:RabbitMqUrl", "http://rabbit", "RABBITMQ_URL")]
    [TestCase("Messaging:PrefetchCount", "0", "PrefetchCount")]
    [TestCase("Messaging:RetryIntervalsMs", "200,soon", "RetryIntervalsMs")]
    [TestCase("Messaging:ClusterNodes", "rabbit:port", "RABBITMQ_CLUSTER_NODES")]
    [TestCase("Redis:Url", "redis://localhost:notaport", "REDIS_URL")]
    [TestCase("Redis:KeyPrefix", "has spaces", "KeyPrefix")]
    [TestCase("Redis:WaitReplicas", "9", "WaitReplicas")]
    public void Bad_setting_stops_the_host_with_a_message_naming_it(string key, string value, string named)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.AddServiceDefaults("test");
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { [key] = value });
        using var host = builder.Build();

        var error = Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.That(error!.Message, Does.Contain(named));
    }

    [Test]
    public void Environment_variables_map_onto_the_option_sections()
    {
        Environment.SetEnvironmentVariable("REDIS_URL", "redis://127.0.0.1:6390/2");
        try
        {
            var builder = Host.CreateApplicationBuilder();
            builder.AddServiceDefaults("test");
            using var host = builder.Build();

            var options = host.Services.GetRequiredService<IOptions<RedisOptions>>().Value.ToConfigurationOptions();

            Assert.That(options.EndPoints.Single().ToString(), Does.EndWith(":6390"));
            Assert.That(options.DefaultDatabase, Is.EqualTo(2));
            Assert.That(options.AbortOnConnectFail, Is.False);
        }
        finally
        {
            Environment.SetEnvironmentVariable("REDIS_URL", null);
        }
    }

    [TestCase("redis://:s3cret@redis:6379/0", "redis://:***@redis:6379/0")]
    [TestCase("rediss://ingest:s3cret@redis:6380", "rediss://ingest:***@redis:6380")]
    [TestCase("redis://redis:6379", "redis://redis:6379")]
    [TestCase("redis:6379,password=s3cret,ssl=true", "redis:6379,password=***,ssl=true")]
    public void A_redis_url_is_shown_without_its_password(string url, string shown)
    {
        Assert.That(RedisOptions.Redact(url), Is.EqualTo(shown));
        var error = Assert.Throws<FormatException>(() => new RedisOptions { Url = "http://user:s3cret@redis" }.ToConfigurationOptions());
        Assert.That(error!.Message, Does.Not.Contain("s3cret"));
    }
}
