using System.Diagnostics;
using System.Text;
using System.Text.Json;
using NeuralTrade.Events.Contracts;
using NeuralTrade.Events.MarketData;
using NeuralTrade.Events.Testing;
using RabbitMQ.Client;

namespace NeuralTrade.Events.IntegrationTests.Reliability;

/// <summary>
/// Reliability scenario "restart the broker under load": an Ingest and an Inference process work under a steady feed of
/// candles and prediction requests; the RabbitMQ node is stopped (rabbitmqctl stop), or killed (SIGKILL to its Erlang VM,
/// as a power cut would), and started again while they do.
/// The workers reconnect by themselves; the feeds publish persistent messages with publisher confirms and re-publish
/// what the broker did not confirm (as a feed's client must). Every candle is stored exactly once and announced once,
/// every request answered; what the workers announced lands in durable queues that outlive the restart.
/// </summary>
[Category("Reliability")]
public sealed class BrokerRestartScenarioTests : BrokerTest
{
    static async Task<string> ServicesAsync(string arguments, TimeSpan timeout) => (await DeployScript.RunAsync("services.sh", arguments, timeout)).Output;

    [TestCase("stop")]
    [TestCase("kill -9")]
    public async Task Broker_restarted_under_load_loses_and_doubles_nothing(string how)
    {
        var status = await ServicesAsync("status", TimeSpan.FromSeconds(60));
        if (!status.Contains("rabbitmq: Ping succeeded", StringComparison.Ordinal) || Services.RabbitMq().Port != (int.TryParse(
                Environment.GetEnvironmentVariable("NEURALTRADE_AMQP_PORT"), out var p) ? p : 5673))
            Assert.Ignore($"the broker at {Services.RabbitMq().Host}:{Services.RabbitMq().Port} is not the node deploy/services.sh runs, so this "
                + "scenario cannot restart it; run it through deploy/test.sh");

        await CandleStore.AppendAsync(TrainedModels.Series, TrainedModels.Market, null);
        await RegisterTrainedModelAsync("restart-run", champion: true);
        var environment = new Dictionary<string, string>
        {
            ["RABBITMQ_URL"] = Services.UrlFor(VirtualHost), ["REDIS_URL"] = Services.RedisUrl, ["Redis__KeyPrefix"] = KeyPrefix,
            ["Tracking__LocalDirectory"] = ScratchDirectory, ["Inference__InstanceId"] = "restart",
        };
        var logs = Path.Combine(ScratchDirectory, "logs");
        await using var ingest = await WorkerProcess.StartAsync("Ingest", environment, logs);
        await using var inference = await WorkerProcess.StartAsync("Inference", environment, logs);

        // Durable queues of our own collect what the workers announce; unlike a tap they survive the restart.
        await using var feedCandles = await ConfirmingFeed.ConnectAsync(Services.UrlFor(VirtualHost));
        await using var feedRequests = await ConfirmingFeed.ConnectAsync(Services.UrlFor(VirtualHost));
        await feedCandles.DeclareCollectorAsync("restart-ingested", Exchanges.DataIngested);
        await feedCandles.DeclareCollectorAsync("restart-answers", Exchanges.PredictionCompleted, Exchanges.PredictionFailed);

        const int messages = 300, perMessage = 25, requests = 300;
        var series = new SeriesKey("restart", "RS/USD", "1m");
        var market = new MarketSimulator(new SimulatedMarket { Exchange = series.Exchange, Symbol = series.Symbol, Seed = 11 })
            .Generate(messages * perMessage).ToList();
        var requestIds = Enumerable.Range(0, requests).Select(_ => Guid.NewGuid()).ToList();
        var clock = Stopwatch.StartNew();
        var candleFeed = Task.Run(async () =>
        {
            var i = 0;
            foreach (var chunk in market.Chunk(perMessage))
            {
                await feedCandles.PublishAsync(Exchanges.MarketCandles, JsonSerializer.Serialize(new MarketCandles { Candles = chunk }, ContractJson.Options),
                    $"rs-{i++}");
                await Task.Delay(20);
            }
        });
        var requestFeed = Task.Run(async () =>
        {
            foreach (var id in requestIds)
            {
                await feedRequests.PublishAsync(Exchanges.PredictionRequested,
                    $$"""{"requestId":"{{id}}","exchange":"sim","symbol":"PLANT/USD","interval":"1m"}""", id.ToString());
                await Task.Delay(20);
            }
        });

        // Under load: stop the node, leave it down, start it again. Meanwhile ask the workers' ready checks.
        await Task.Delay(2_000);
        var stoppedAt = clock.Elapsed;
        var health = new List<string>();
        using var watchHealth = new CancellationTokenSource();
        var watcher = WatchReadinessAsync([ingest, inference], health, watchHealth.Token);
        var down = await ServicesAsync(how == "stop" ? "rabbitmqctl -q stop" : "kill-rabbit", TimeSpan.FromSeconds(60));
        Assert.That(how == "stop" || down.Contains("rabbitmq killed", StringComparison.Ordinal), Is.True, down);
        await Task.Delay(3_000);
        var restart = await ServicesAsync("start", TimeSpan.FromSeconds(180));
        var upAt = clock.Elapsed;
        Assert.That(restart, Does.Contain("rabbitmq up"), "the broker came back: " + restart);

        await Task.WhenAll(candleFeed, requestFeed).WaitAsync(TimeSpan.FromMinutes(3));
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromMinutes(2)
               && (await CandleStore.CountAsync(series) < market.Count || await feedCandles.CountAsync("restart-answers") < requests))
            await Task.Delay(500);
        await Management.WaitForQueueEmptyAsync(VirtualHost, "ingest", TimeSpan.FromSeconds(60));
        await Management.WaitForQueueEmptyAsync(VirtualHost, "inference", TimeSpan.FromSeconds(60));
        await Task.Delay(1_500);
        // Each endpoint reconnects on its own backoff: an idle one (the swap queue) may come back after the work is done.
        bool Ready(string worker)
        {
            lock (health)
                return health.LastOrDefault(h => h.StartsWith(worker, StringComparison.Ordinal))?.StartsWith(worker + " ready", StringComparison.Ordinal) == true;
        }

        var readyWait = Stopwatch.StartNew();
        while (!(Ready("ingest") && Ready("inference")) && readyWait.Elapsed < TimeSpan.FromSeconds(90))
            await Task.Delay(500);
        await watchHealth.CancelAsync();
        await watcher;

        var stored = await CandleStore.CountAsync(series);
        var ingested = (await feedCandles.DrainAsync("restart-ingested")).Select(b => JsonDocument.Parse(b).RootElement).ToList();
        var distinctEvents = ingested.DistinctBy(j => j.GetProperty("eventId").GetString()).ToList();
        var announced = distinctEvents.Where(j => j.GetProperty("symbol").GetString() == series.Symbol)
            .SelectMany(j => j.GetProperty("candles").EnumerateArray()).Select(c => c.GetProperty("openTime").GetString()).ToList();
        var answers = (await feedCandles.DrainAsync("restart-answers")).Select(b => JsonDocument.Parse(b).RootElement)
            .Where(j => j.TryGetProperty("requestId", out var r) && r.ValueKind == JsonValueKind.String).ToList();
        var answered = answers.Select(j => j.GetProperty("requestId").GetGuid()).ToHashSet();
        var failed = answers.Count(j => j.TryGetProperty("code", out _));
        var deadIngest = await feedCandles.CountAsync("ingest_error");
        var deadInference = await feedCandles.CountAsync("inference_error");
        var unanswered = requestIds.Count(id => !answered.Contains(id));

        TestContext.Out.WriteLine($"injected: {messages} messages × {perMessage} candles and {requests} prediction requests, one each every 20 ms, " +
            $"persistent and confirmed; broker stopped at {stoppedAt.TotalSeconds:F1} s, up again at {upAt.TotalSeconds:F1} s; the feeds re-published " +
            $"{feedCandles.Republished + feedRequests.Republished} unconfirmed messages. workers' ready checks: {string.Join("; ", health)}. " +
            $"counted: stored {stored:N0}, announced {announced.Count:N0} candles in {distinctEvents.Count} events ({ingested.Count - distinctEvents.Count} " +
            $"re-sent with the same eventId), answered {answered.Count}/{requests} ({failed} prediction.failed), dead-lettered {deadIngest} + " +
            $"{deadInference}, in {clock.Elapsed.TotalSeconds:F1} s");
        var answerIds = answers.Where(j => !j.TryGetProperty("code", out _)).GroupBy(j => j.GetProperty("requestId").GetGuid())
            .Select(g => g.Select(j => j.GetProperty("eventId").GetString()).Distinct().Count()).ToList();
        var doubleAnswers = answerIds.Count(n => n > 1);
        var completed = answerIds.Count;
        ReliabilityTable.Add("broker restart: candles", $"RabbitMQ {how} under load", market.Count, stored, announced.Count - announced.Distinct().Count(),
            deadIngest, market.Count - announced.Distinct().Count());
        ReliabilityTable.Add("broker restart: predictions", $"RabbitMQ {how} under load", requests, completed, doubleAnswers, deadInference,
            requests - completed);

        Assert.Multiple(() =>
        {
            Assert.That(ingest.HasExited || inference.HasExited, Is.False, "both workers survived the restart");
            Assert.That(stored, Is.EqualTo(market.Count), "every candle stored exactly once");
            Assert.That(announced, Has.Count.EqualTo(market.Count), "every candle announced under one event id");
            Assert.That(announced.Distinct().Count(), Is.EqualTo(market.Count), "no candle in two events");
            Assert.That(completed, Is.EqualTo(requests), "every request answered with a prediction");
            Assert.That(failed, Is.Zero, "no request answered with prediction.failed");
            Assert.That(doubleAnswers, Is.Zero, "no request answered twice with different events");
            Assert.That(deadIngest + deadInference, Is.Zero, "nothing dead-lettered: nothing was invalid");
            Assert.That(health, Has.Some.Contains("not ready"), "the workers said they were not ready while the broker was down");
            Assert.That(health.Last(h => h.StartsWith("ingest", StringComparison.Ordinal)), Does.StartWith("ingest ready"), "Ingest ready again");
            Assert.That(health.Last(h => h.StartsWith("inference", StringComparison.Ordinal)), Does.StartWith("inference ready"), "Inference ready again");
        });
    }

    /// <summary>Polls each worker's /health/ready every 500 ms and records each change of state with its time.</summary>
    static async Task WatchReadinessAsync(IReadOnlyList<WorkerProcess> workers, List<string> changes, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var last = new string?[workers.Count];
        var clock = Stopwatch.StartNew();
        while (!cancellationToken.IsCancellationRequested)
        {
            for (var i = 0; i < workers.Count; i++)
            {
                string state;
                try
                {
                    using var response = await http.GetAsync($"http://127.0.0.1:{workers[i].Port}/health/ready", CancellationToken.None);
                    state = response.IsSuccessStatusCode ? "ready" : "not ready";
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                {
                    state = "not answering";
                }

                if (state != last[i])
                {
                    lock (changes)
                        changes.Add($"{(i == 0 ? "ingest" : "inference")} {state} at +{clock.Elapsed.TotalSeconds:F1} s");
                    last[i] = state;
                }
            }

            try
            {
                await Task.Delay(500, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}

/// <summary>
/// A feed as it must be written against a broker that can restart: persistent messages, publisher confirms, automatic
/// connection recovery, and a message the broker did not confirm is published again (the workers drop the duplicates).
/// </summary>
sealed class ConfirmingFeed : IAsyncDisposable
{
    readonly IConnection _connection;
    readonly IChannel _channel;
    int _republished;

    ConfirmingFeed(IConnection connection, IChannel channel)
    {
        _connection = connection;
        _channel = channel;
    }

    public int Republished => _republished;

    /// <summary>Connects to the URL's node or, given <paramref name="clusterNodes"/> (host:port), to the first of them that answers,
    /// and after losing it recovers onto another, as a feed in front of a cluster must.</summary>
    public static async Task<ConfirmingFeed> ConnectAsync(string url, IReadOnlyList<string>? clusterNodes = null)
    {
        var factory = new ConnectionFactory
        {
            Uri = new Uri(url), ClientProvidedName = RawAmqp.ClientName, AutomaticRecoveryEnabled = true,
            TopologyRecoveryEnabled = true, NetworkRecoveryInterval = TimeSpan.FromSeconds(1),
        };
        var connection = clusterNodes is { Count: > 0 }
            ? await factory.CreateConnectionAsync(clusterNodes.Select(n => AmqpTcpEndpoint.Parse(n)).ToList())
            : await factory.CreateConnectionAsync();
        var channel = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true,
            publisherConfirmationTrackingEnabled: true));
        return new ConfirmingFeed(connection, channel);
    }

    /// <summary>A durable queue bound to the exchanges; on a cluster a quorum queue, which outlives the loss of any one node.</summary>
    public async Task DeclareCollectorAsync(string queue, params string[] exchanges) => await DeclareCollectorAsync(queue, quorum: false, exchanges);

    public async Task DeclareCollectorAsync(string queue, bool quorum, params string[] exchanges)
    {
        await _channel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false,
            arguments: quorum ? new Dictionary<string, object?> { ["x-queue-type"] = "quorum" } : null);
        foreach (var exchange in exchanges)
        {
            await _channel.ExchangeDeclareAsync(exchange, ExchangeType.Fanout, durable: true);
            await _channel.QueueBindAsync(queue, exchange, "");
        }
    }

    public async Task PublishAsync(string exchange, string body, string messageId)
    {
        var properties = new BasicProperties { ContentType = "application/json", MessageId = messageId, DeliveryMode = DeliveryModes.Persistent };
        var bytes = Encoding.UTF8.GetBytes(body);
        var deadline = Stopwatch.StartNew();
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                await _channel.BasicPublishAsync(exchange, "", mandatory: false, basicProperties: properties, body: bytes, cancellationToken: timeout.Token);
                if (attempt > 0)
                    Interlocked.Increment(ref _republished);
                return;
            }
            catch (Exception) when (deadline.Elapsed < TimeSpan.FromMinutes(3))
            {
                // Not confirmed (connection lost, channel closed, nack, or no answer): the broker may or may not have it.
                await Task.Delay(500);
            }
        }
    }

    /// <summary>
    /// Messages now ready in a queue, counted by the broker (passive declare); 0 when the queue does not exist. While
    /// this feed's own connection is still recovering from the restart (slow on a loaded machine), waits for it.
    /// </summary>
    public async Task<uint> CountAsync(string queue)
    {
        await RecoveredAsync();
        await using var probe = await _connection.CreateChannelAsync();
        try
        {
            return (await probe.QueueDeclarePassiveAsync(queue)).MessageCount;
        }
        catch (RabbitMQ.Client.Exceptions.OperationInterruptedException)
        {
            return 0;
        }
    }

    async Task RecoveredAsync()
    {
        var recovering = Stopwatch.StartNew();
        while (!_connection.IsOpen && recovering.Elapsed < TimeSpan.FromMinutes(2))
            await Task.Delay(250);
    }

    public async Task<List<string>> DrainAsync(string queue)
    {
        await RecoveredAsync();
        var bodies = new List<string>();
        await using var channel = await _connection.CreateChannelAsync();
        while (await channel.BasicGetAsync(queue, autoAck: true) is { } message)
            bodies.Add(Encoding.UTF8.GetString(message.Body.Span));
        return bodies;
    }

    public async ValueTask DisposeAsync()
    {
        await _channel.DisposeAsync();
        await _connection.DisposeAsync();
    }
}
