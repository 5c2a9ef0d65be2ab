using NeuralTrade.Events.Contracts;

namespace NeuralTrade.Events.Client.Tests;

/// <summary>Settings are checked at connect, name the one at fault, and never print the password.</summary>
public sealed class ClientOptionsTests
{
    const string Password = "s3cr3t-pa55";

    [Test]
    public void The_options_print_without_the_password()
    {
        var options = new NeuralTradeClientOptions { Url = $"amqps://trading:{Password}@broker.example:5671/prod", ClientName = "desk-1" };

        Assert.That(options.ToString(), Does.Not.Contain(Password).And.Contain("amqps://trading@broker.example:5671/prod").And.Contain("desk-1"));
    }

    [TestCase("amqp://feed:pw@localhost:5672/", "localhost", 5672, "/", "feed", "pw", false)]
    [TestCase("amqps://feed:p%40ss@broker:5671/nt%2Fprod", "broker", 5671, "nt/prod", "feed", "p@ss", true)]
    [TestCase("amqps://trading:x@broker/", "broker", 5671, "/", "trading", "x", true)]
    [TestCase("amqp://broker", "broker", 5672, "/", "guest", "guest", false)]
    public void Broker_urls_parse_as_RabbitMQ_reads_them(string url, string host, int port, string vhost, string user, string password, bool tls)
    {
        Assert.That(BrokerAddress.TryParse(url, out var address, out var error), Is.True, error);

        Assert.That(address, Is.EqualTo(new BrokerAddress(host, port, vhost, user, password, tls)));
        Assert.That(address!.ToString(), Does.Not.Contain(":" + password + "@"));
    }

    [TestCase("http://feed:pw@localhost/", "is not an amqp:// or amqps:// URL")]
    [TestCase("localhost:5672", "is not an amqp:// or amqps:// URL")]
    public void A_bad_url_is_refused_by_name_without_its_password(string url, string expected)
    {
        var options = new NeuralTradeClientOptions { Url = url };

        var e = Assert.Throws<ArgumentException>(options.Validate);

        Assert.That(e!.Message, Does.Contain("NeuralTradeClientOptions.Url").And.Contain(expected).And.Not.Contain(":pw@"));
    }

    static IEnumerable<TestCaseData> BadSettings()
    {
        var ok = new NeuralTradeClientOptions { Url = "amqp://feed:pw@localhost/" };
        yield return new TestCaseData(ok with { ClientName = "has space" }, "ClientName").SetName("client name with a space");
        yield return new TestCaseData(ok with { ClientName = new string('a', 65) }, "ClientName").SetName("client name too long");
        yield return new TestCaseData(ok with { PredictionTimeout = TimeSpan.Zero }, "PredictionTimeout").SetName("zero prediction timeout");
        yield return new TestCaseData(ok with { PublishTimeout = Timeout.InfiniteTimeSpan }, "PublishTimeout").SetName("infinite publish timeout");
        yield return new TestCaseData(ok with { MaxCandlesPerMessage = 0 }, "MaxCandlesPerMessage").SetName("no candles per message");
        yield return new TestCaseData(ok with { MaxMessageBytes = -1 }, "MaxMessageBytes").SetName("negative message size");
        yield return new TestCaseData(ok with { PrefetchCount = 0 }, "PrefetchCount").SetName("no prefetch");
        yield return new TestCaseData(ok with { CandleChecks = (CandleChecks)7 }, "CandleChecks").SetName("unknown candle checks");
    }

    [TestCaseSource(nameof(BadSettings))]
    public void A_bad_setting_is_named(NeuralTradeClientOptions options, string setting)
    {
        var e = Assert.Catch<ArgumentException>(options.Validate);

        Assert.That(e!.Message, Does.Contain($"NeuralTradeClientOptions.{setting}"));
    }

    [TestCase("amqp://feed:pw@host/x?y", "amqp://feed@host/x?y")]
    [TestCase("amqp://feed@host/", "amqp://feed@host/")]
    [TestCase("not a url feed:pw@host", "***@host")]
    public void Redaction_keeps_the_user_and_drops_the_password(string url, string redacted) =>
        Assert.That(BrokerAddress.Redact(url), Is.EqualTo(redacted));

    [Test]
    public void A_broker_that_does_not_answer_is_named_without_the_password()
    {
        // Port 1 on the loopback: nothing listens there, the connection is refused at once.
        var options = new NeuralTradeClientOptions { Url = $"amqp://feed:{Password}@127.0.0.1:1/", ConnectTimeout = TimeSpan.FromSeconds(3) };

        var e = Assert.ThrowsAsync<NeuralTradeClientException>(async () => await NeuralTradeClient.ConnectAsync(options));

        Assert.That(e!.Message, Does.StartWith("cannot reach RabbitMQ at amqp://feed@127.0.0.1:1/%2F").And.Not.Contain(Password));
    }

    [Test]
    public void A_missing_CA_file_is_named()
    {
        var options = new NeuralTradeClientOptions { Url = "amqps://feed:pw@localhost/", TlsCaFile = "/nonexistent/ca.pem" };

        var e = Assert.ThrowsAsync<FileNotFoundException>(async () => await NeuralTradeClient.ConnectAsync(options));

        Assert.That(e!.Message, Does.Contain("TlsCaFile").And.Contain("/nonexistent/ca.pem"));
    }

    [Test]
    public void Queue_names_are_the_shipped_users_own()
    {
        Assert.That(QueueNames.Rejections("desk-1"), Does.Match("^feed-[A-Za-z0-9._-]+$"));
        Assert.That(QueueNames.Answers("desk-1"), Does.Match("^trading-[A-Za-z0-9._-]+$"));
        Assert.That(QueueNames.Subscription("desk-1", 3), Does.Match("^trading-[A-Za-z0-9._-]+$").And.EqualTo("trading-desk-1-sub-3"));
        Assert.That(QueueNames.IsValidClientName(QueueNames.RandomClientName()), Is.True);
    }
}

/// <summary>A batch's <c>data.rejected</c> is matched by its correlationId, for as long as the batch is remembered.</summary>
public sealed class RejectionTrackingTests
{
    sealed class ManualTime : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = DateTimeOffset.Parse("2026-12-01T00:00:00Z");
        public override DateTimeOffset GetUtcNow() => Now;
    }

    static DataRejected RejectedFor(Guid batchId) => new()
    {
        CorrelationId = batchId, Reasons = [new RejectionReason(1, "ohlc_inconsistent", "low", "low 42400 is above high 42300.")], Candles = [],
    };

    [Test]
    public async Task Our_batch_gets_its_rejection_and_another_feeds_is_skipped()
    {
        var tracker = new RejectionTracker(TimeSpan.FromMinutes(10), new ManualTime());
        var ours = Guid.NewGuid();
        tracker.Track(ours);

        Assert.That(tracker.Accept(RejectedFor(Guid.NewGuid())), Is.False);
        Assert.That(tracker.Accept(RejectedFor(ours)), Is.True);

        var receipt = new CandleBatchReceipt(ours, 2, 400, tracker);
        var rejected = await receipt.WaitForRejectionAsync(TimeSpan.FromSeconds(1));
        Assert.That(rejected!.Reasons.Single().Code, Is.EqualTo("ohlc_inconsistent"));
    }

    [Test]
    public async Task No_rejection_within_the_wait_is_null()
    {
        var tracker = new RejectionTracker(TimeSpan.FromMinutes(10), new ManualTime());
        var id = Guid.NewGuid();
        tracker.Track(id);

        Assert.That(await new CandleBatchReceipt(id, 1, 200, tracker).WaitForRejectionAsync(TimeSpan.FromMilliseconds(50)), Is.Null);
    }

    [Test]
    public void A_batch_is_forgotten_after_the_retention_and_a_client_without_tracking_says_so()
    {
        var time = new ManualTime();
        var tracker = new RejectionTracker(TimeSpan.FromMinutes(10), time);
        var old = Guid.NewGuid();
        tracker.Track(old);
        time.Now += TimeSpan.FromMinutes(11);

        tracker.Track(Guid.NewGuid()); // each publish sweeps what expired

        Assert.That((tracker.IsTracked(old), tracker.Count), Is.EqualTo((false, 1)));
        Assert.ThrowsAsync<InvalidOperationException>(async () => await new CandleBatchReceipt(old, 1, 200, tracker).WaitForRejectionAsync(TimeSpan.FromSeconds(1)));
        Assert.ThrowsAsync<InvalidOperationException>(async () => await new CandleBatchReceipt(old, 1, 200, null).WaitForRejectionAsync(TimeSpan.FromSeconds(1)));
    }
}
