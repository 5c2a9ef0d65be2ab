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
    public void Password_is_redacted_from_urls_in_messages()
    {
        Assert.That(RabbitMqAddress.Redact("amqp://ingest:topsecret@rabbit:5672/"), Is.EqualTo("amqp://ingest:***@rabbit:5672/"));
    }

    [TestCase("Messaging:RabbitMqUrl", "http://rabbit", "RABBITMQ_URL")]
    [TestCase("Messaging:PrefetchCount", "0", "PrefetchCount")]
    [TestCase("Messaging:RetryIntervalsMs", "200,soon", "RetryIntervalsMs")]
    [TestCase("Redis:Url", "redis://localhost:notaport", "REDIS_URL")]
    [TestCase("Redis:KeyPrefix", "has spaces", "KeyPrefix")]
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
