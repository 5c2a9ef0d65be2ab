using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using NeuralTrade.Events.Client;
using NeuralTrade.Events.Contracts;
using NeuralTrade.Events.MarketData;
using NeuralTrade.Events.Modeling;
using NeuralTrade.Events.Stores;
using NeuralTrade.Events.Testing;
using NeuralTrade.Events.Workers.Inference;
using NeuralTrade.Events.Workers.Ingest;
using static TorchSharp.torch;

namespace NeuralTrade.Events.IntegrationTests;

/// <summary>
/// The client package (NeuralTrade.Events.Client) against the real fleet: the shipped broker definitions, the real
/// Ingest and Inference workers, Redis, logged in as the <c>feed</c> and <c>trading</c> users.
/// </summary>
public sealed class ClientBrokerTests : DefinitionsBrokerTest
{
    /// <summary>A second series with a model of its own (a model serves one series only), trained briefly: it only has to stream.</summary>
    static readonly SeriesKey OtherSeries = new("sim", "WEED/USD", "1m");
    static readonly Lazy<List<Candle>> OtherMarket = new(() => TrainedModels.Market.Select(c => c with { Symbol = OtherSeries.Symbol }).ToList());
    static readonly Lazy<TrainingOutcome> OtherOutcome = new(() =>
        ModelTraining.Run(ModelNames.For(OtherSeries), OtherSeries, OtherMarket.Value, TrainedModels.Tiny with { Epochs = 2 }, CPU));

    readonly CapturingLogger _log = new();
    readonly List<NeuralTradeClient> _clients = [];

    async Task<NeuralTradeClient> ConnectAsync(string user, Func<NeuralTradeClientOptions, NeuralTradeClientOptions>? configure = null)
    {
        var options = new NeuralTradeClientOptions
        {
            Url = UrlOf(user), ClientName = $"it-{user}", LoggerFactory = LoggerFactory.Create(b => b.AddProvider(_log).SetMinimumLevel(LogLevel.Debug)),
        };
        var client = await NeuralTradeClient.ConnectAsync(configure?.Invoke(options) ?? options);
        _clients.Add(client);
        return client;
    }

    [TearDown]
    public async Task DisposeClients()
    {
        foreach (var client in _clients)
            await client.DisposeAsync();
        _clients.Clear();
        Assert.That(Passwords.Where(p => _log.Text.Contains(p, StringComparison.Ordinal)), Is.Empty, "no password in the client's log");
    }

    Task<IHost> StartIngestAsync() => StartHostAsync(b => b.AddIngestWorker(), new Dictionary<string, string?>
    {
        ["Messaging:RabbitMqUrl"] = UrlOf("ingest"), ["Redis:Url"] = RedisUrlOf("ingest"),
    });

    Task<IHost> StartInferenceAsync() => StartHostAsync(b => b.AddInferenceWorker(), new Dictionary<string, string?>
    {
        ["Messaging:RabbitMqUrl"] = UrlOf("inference"), ["Redis:Url"] = RedisUrlOf("inference"), ["Tracking:LocalDirectory"] = ScratchDirectory,
        ["Inference:InstanceId"] = "client-tests",
    });

    /// <summary>Publishes a market through the client as the feed, in batches, and waits until Ingest has stored all of it.</summary>
    async Task FeedAsync(NeuralTradeClient feed, SeriesKey series, IReadOnlyList<Candle> candles)
    {
        foreach (var batch in candles.Chunk(1_000))
            await feed.PublishCandlesAsync(batch, "client-tests");
        for (var i = 0; i < 600 && (await CandleStore.GetRangeAsync(series)).Count < candles.Count; i++)
            await Task.Delay(100);
        Assert.That((await CandleStore.GetRangeAsync(series)).Count, Is.EqualTo(candles.Count), $"Ingest stored all of {series}");
    }

    /// <summary>Registers <paramref name="outcome"/>'s model as the champion of its series, as the Registry would.</summary>
    async Task RegisterChampionAsync(TrainingOutcome outcome, string modelName, string runId)
    {
        Directory.CreateDirectory(ScratchDirectory);
        var path = Path.Combine(ScratchDirectory, $"{runId}{ModelArtifact.FileExtension}");
        await File.WriteAllBytesAsync(path, outcome.Artifact);
        var artifact = new ArtifactRef(new Uri(path).AbsoluteUri, ModelArtifact.Sha256(outcome.Artifact), outcome.Artifact.LongLength);
        var version = await RegistryState.AddVersionAsync(new RegisteredVersion(modelName, 0, runId, artifact, outcome.Manifest.Metrics,
            DateTimeOffset.UtcNow, RegisteredVersion.Local));
        await RegistryState.PromoteAsync(modelName, version.Version);
    }

    [Test]
    public async Task The_feed_publishes_a_batch_hears_what_Ingest_refused_and_a_re_send_changes_nothing()
    {
        await StartIngestAsync();
        var ingested = await Amqp.TapAsync(Exchanges.DataIngested);
        var rejectedTap = await Amqp.TapAsync(Exchanges.DataRejected);
        var heard = new ConcurrentQueue<DataRejected>();
        var feed = await ConnectAsync("feed", o => o with
        {
            CandleChecks = CandleChecks.MessageLimitsOnly, // let Ingest refuse the bad candle, as a feed that does not check would
            OnCandlesRejected = (r, _) => { heard.Enqueue(r); return ValueTask.CompletedTask; },
        });
        var good = new Candle("binance", "BTC/USDT", "1m", DateTimeOffset.Parse("2024-01-15T10:30:00Z"), 42150.5m, 42300m, 42100m, 42250.75m, 1234.56m);
        var bad = good with { OpenTime = good.OpenTime.AddMinutes(1), Low = 42400m };

        var receipt = await feed.PublishCandlesAsync([good, bad], "my-feed");
        var rejected = await receipt.WaitForRejectionAsync(TimeSpan.FromSeconds(30));

        Assert.That(rejected, Is.Not.Null, "Ingest's data.rejected for this batch reached the feed");
        // Low above high, and above min(open, close): one reason per broken rule.
        Assert.That(rejected!.Reasons.Select(r => (r.Index, r.Code, r.Field)),
            Is.EqualTo(new[] { (1, "ohlc_inconsistent", (string?)"low"), (1, "ohlc_inconsistent", "low") }));
        Assert.That((rejected.CorrelationId, rejected.Source), Is.EqualTo((receipt.BatchId, "my-feed")));
        Assert.That(heard.Select(r => r.CorrelationId), Is.EqualTo(new[] { receipt.BatchId }), "the callback heard it once");
        var stored = await CandleStore.GetRangeAsync(new SeriesKey("binance", "BTC/USDT", "1m"));
        Assert.That(stored.Select(c => (c.OpenTime, c.Close)), Is.EqualTo(new[] { (good.OpenTime, 42250.75m) }));

        // The same batch again, with its id (a feed that did not see the confirm): Ingest recognises it.
        var again = await feed.PublishCandlesAsync([good, bad], "my-feed", receipt.BatchId);
        await Management.WaitForQueueEmptyAsync(VirtualHost, "ingest", TimeSpan.FromSeconds(30));

        Assert.That(again.BatchId, Is.EqualTo(receipt.BatchId));
        Assert.That((ingested.Received.Count, rejectedTap.Received.Count), Is.EqualTo((1, 1)), "one data.ingested and one data.rejected for the two sends");
        Assert.That(await CandleStore.GetRangeAsync(new SeriesKey("binance", "BTC/USDT", "1m")), Has.Count.EqualTo(1));
    }

    [Test]
    public async Task A_batch_that_breaks_the_contract_is_refused_before_it_is_sent()
    {
        await StartIngestAsync();
        var ingested = await Amqp.TapAsync(Exchanges.DataIngested);
        var feed = await ConnectAsync("feed");
        var good = new Candle("binance", "BTC/USDT", "1m", DateTimeOffset.Parse("2024-01-15T10:30:00Z"), 42150.5m, 42300m, 42100m, 42250.75m, 1234.56m);

        var e = Assert.ThrowsAsync<CandleValidationException>(() => feed.PublishCandlesAsync([good, good with { Symbol = "btc/usdt" }]));
        Assert.That(e!.Reasons.Single().Code, Is.EqualTo("invalid_format"));
        Assert.ThrowsAsync<CandleValidationException>(() => feed.PublishCandlesAsync([]));
        await feed.PublishCandlesAsync([good]);
        await Management.WaitForQueueEmptyAsync(VirtualHost, "ingest", TimeSpan.FromSeconds(30));

        Assert.That(ingested.Received, Has.Count.EqualTo(1), "only the valid batch reached Ingest");
    }

    [Test]
    public async Task Trading_asks_for_predictions_and_gets_the_champions_answers_or_prediction_failed_as_a_typed_exception()
    {
        await RegisterChampionAsync(TrainedModels.Outcome, TrainedModels.ModelName, "run-1");
        await StartIngestAsync();
        await StartInferenceAsync();
        var feed = await ConnectAsync("feed");
        var trading = await ConnectAsync("trading");
        await FeedAsync(feed, TrainedModels.Series, TrainedModels.Market);
        var series = new Client.Series(TrainedModels.Series.Exchange, TrainedModels.Series.Symbol, TrainedModels.Series.Interval);

        var answer = await trading.PredictAsync(series);

        Assert.That((answer.Model.Name, answer.Model.Version), Is.EqualTo((TrainedModels.ModelName, 1)));
        Assert.That(answer.AsOf, Is.EqualTo(TrainedModels.Market[^1].OpenTime), "the newest stored candle, fed by the client");
        Assert.That(answer.Probabilities.Sell + answer.Probabilities.Hold + answer.Probabilities.Buy, Is.EqualTo(1).Within(1e-6));
        Assert.That(answer.RequestId, Is.Not.Null);

        // Many at once on one client: one answers queue, each answer matched to its request.
        var answers = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => trading.PredictAsync(series)));
        Assert.That(answers.Select(a => a.RequestId).Distinct().Count(), Is.EqualTo(20));
        Assert.That(answers.Select(a => (a.Model.Version, a.AsOf)), Is.All.EqualTo((1, TrainedModels.Market[^1].OpenTime)));
        Assert.That(trading.PendingPredictions, Is.Zero);

        // A window of the caller's own, long enough for the model's indicators.
        var window = TrainedModels.Market.TakeLast(400).ToList();
        var own = await trading.PredictAsync(series, window);
        Assert.That(own.AsOf, Is.EqualTo(window[^1].OpenTime));

        // By reference: the stored window at asOf, read by Inference from Redis; the same answer as that window sent by value.
        var at = TrainedModels.Market[^30].OpenTime;
        var byReference = await trading.PredictAsync(series, at);
        var byValue = await trading.PredictAsync(series, TrainedModels.Market.Where(c => c.OpenTime <= at).TakeLast(window.Count + 300).ToList());
        Assert.That(byReference.AsOf, Is.EqualTo(at));
        Assert.That(byReference.Probabilities.Buy, Is.EqualTo(byValue.Probabilities.Buy).Within(1e-3), "indicators settle within 512 candles");
        var nothingThere = Assert.ThrowsAsync<PredictionFailedException>(() => trading.PredictAsync(series, at.AddSeconds(1)));
        Assert.That(nothingThere!.Code, Is.EqualTo(PredictionFailureCodes.NotEnoughData), nothingThere.Error);

        var noModel = Assert.ThrowsAsync<PredictionFailedException>(() => trading.PredictAsync(new Client.Series("sim", "NOPE/USD", "1m")));
        Assert.That((noModel!.Code, noModel.Failure.Symbol), Is.EqualTo((PredictionFailureCodes.NoModel, "NOPE/USD")));
        var tooShort = Assert.ThrowsAsync<PredictionFailedException>(() => trading.PredictAsync(series, window.TakeLast(50).ToList()));
        Assert.That(tooShort!.Code, Is.EqualTo(PredictionFailureCodes.NotEnoughData), tooShort.Error);
    }

    [Test]
    public async Task Without_Inference_a_request_times_out_and_without_its_queue_it_is_unroutable_and_each_user_keeps_to_its_role()
    {
        var trading = await ConnectAsync("trading");
        var series = new Client.Series("sim", "PLANT/USD", "1m");

        // The definitions declare the inference queue: the request waits there, unanswered.
        var timeout = Assert.ThrowsAsync<PredictionTimeoutException>(() => trading.PredictAsync(series, timeout: TimeSpan.FromSeconds(2)));
        Assert.That(timeout!.Message, Does.Contain("within 2 s").And.Contain("is an Inference worker running?"));

        await Management.DeleteAsync($"api/queues/{Uri.EscapeDataString(VirtualHost)}/inference");
        var unroutable = Assert.ThrowsAsync<UnroutableMessageException>(() => trading.PredictAsync(series, timeout: TimeSpan.FromSeconds(10)));
        Assert.That((unroutable!.Exchange, unroutable.ReplyCode), Is.EqualTo((Exchanges.PredictionRequested, (ushort)312)));

        // The trading user may not publish candles, nor the feed user ask for predictions: the broker refuses, the client says who may.
        var candle = new Candle("binance", "BTC/USDT", "1m", DateTimeOffset.Parse("2024-01-15T10:30:00Z"), 1m, 1m, 1m, 1m, 1m);
        var asTrading = Assert.ThrowsAsync<NeuralTradeClientException>(() => trading.PublishCandlesAsync([candle]));
        Assert.That(asTrading!.Message, Does.Contain("refused").And.Contain("the feed user"));
        var feed = await ConnectAsync("feed");
        var asFeed = Assert.ThrowsAsync<NeuralTradeClientException>(() => feed.PredictAsync(series));
        Assert.That(asFeed!.Message, Does.Contain("refused").And.Contain("the trading user"));
    }

    [Test]
    public async Task A_subscription_to_one_series_receives_exactly_that_series_predictions_while_another_streams()
    {
        await RegisterChampionAsync(TrainedModels.Outcome, TrainedModels.ModelName, "run-1");
        await RegisterChampionAsync(OtherOutcome.Value, ModelNames.For(OtherSeries), "run-other");
        await StartIngestAsync();
        var inference = await StartInferenceAsync();
        var catalog = inference.Services.GetRequiredService<ModelCatalog>();
        Assert.That((catalog.Current(TrainedModels.ModelName)?.Version, catalog.Current(ModelNames.For(OtherSeries))?.Version), Is.EqualTo((1, 1)));
        var feed = await ConnectAsync("feed");
        var trading = await ConnectAsync("trading");
        var market = TrainedModels.Market.ToList();
        await FeedAsync(feed, TrainedModels.Series, market[..^12]);
        await FeedAsync(feed, OtherSeries, OtherMarket.Value[..^12]);
        // What the history streamed is over before anyone subscribes.
        await Management.WaitForQueueEmptyAsync(VirtualHost, "ingest", TimeSpan.FromSeconds(60));
        await Management.WaitForQueueEmptyAsync(VirtualHost, "inference-stream", TimeSpan.FromSeconds(60));

        var plant = new List<PredictionCompleted>();
        var plantSubscription = await trading.SubscribeAsync(SeriesFilter.For(TrainedModels.Series.Exchange, TrainedModels.Series.Symbol, "1m"),
            (p, _) => { lock (plant) plant.Add(p); return ValueTask.CompletedTask; });
        await using var weedSubscription = await trading.SubscribeAsync(SeriesFilter.For(OtherSeries.Exchange, OtherSeries.Symbol, OtherSeries.Interval));
        var weed = new List<PredictionCompleted>();
        var reading = Task.Run(async () =>
        {
            await foreach (var p in weedSubscription)
                lock (weed) weed.Add(p);
        });
        var anyOneMinute = new List<PredictionCompleted>();
        await using var wide = await trading.SubscribeAsync(new SeriesFilter(Exchange: "sim", Interval: "1m"),
            (p, _) => { lock (anyOneMinute) anyOneMinute.Add(p); return ValueTask.CompletedTask; });
        var everything = await Amqp.TapAsync(Exchanges.PredictionCompleted);

        // Both series stream: one new candle per message, 5 of PLANT/USD between 12 of WEED/USD. Each streamed prediction
        // scores the newest stored candle, so the next candle waits for it: one prediction per candle, each its own asOf.
        var plantNew = market[^12..^7];
        var weedNew = OtherMarket.Value[^12..];
        var published = 0;
        async Task StreamAsync(Candle candle)
        {
            await feed.PublishCandlesAsync([candle]);
            await everything.WaitForCountAsync(++published, TimeSpan.FromSeconds(30));
        }

        for (var i = 0; i < weedNew.Count; i++)
        {
            await StreamAsync(weedNew[i]);
            if (i < plantNew.Count)
                await StreamAsync(plantNew[i]);
        }

        await Management.WaitForQueueEmptyAsync(VirtualHost, "inference-stream", TimeSpan.FromSeconds(30));
        await Task.Delay(1_000); // a straggler would show here

        Assert.That(everything.Received, Has.Count.EqualTo(17), "17 streamed predictions on prediction.completed");
        lock (plant)
            Assert.That(plant.Select(p => (p.Symbol, p.AsOf, p.RequestId)), Is.EquivalentTo(plantNew.Select(c => (c.Symbol, c.OpenTime, (Guid?)null))),
                "exactly the 5 PLANT/USD predictions, none of WEED/USD");
        lock (weed)
            Assert.That(weed.Select(p => (p.Symbol, p.AsOf)), Is.EquivalentTo(weedNew.Select(c => (c.Symbol, c.OpenTime))), "exactly the 12 WEED/USD predictions");
        lock (anyOneMinute)
            Assert.That(anyOneMinute, Has.Count.EqualTo(17), "a filter with the symbol open receives both");
        Assert.That((plantSubscription.Refused, weedSubscription.Refused, wide.Refused), Is.EqualTo((0, 0, 0)));
        Assert.That(everything.Received.Select(d => d.Header("symbol")), Is.EquivalentTo(
            plantNew.Select(c => c.Symbol).Concat(weedNew.Select(c => c.Symbol))), "every prediction.completed carries its series' headers");

        await plantSubscription.DisposeAsync();
        Assert.That(plantSubscription.Completion.IsCompletedSuccessfully, Is.True);
        Assert.That(await DepthOrMissingAsync(plantSubscription.QueueName), Is.Null, "the broker deleted the subscription's queue");
        await weedSubscription.DisposeAsync();
        await reading.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Test]
    public async Task An_oversized_or_unreadable_prediction_is_dropped_and_reported_and_the_subscription_goes_on()
    {
        var refused = new ConcurrentQueue<RefusedMessage>();
        var trading = await ConnectAsync("trading", o => o with { MaxMessageBytes = 4_096, OnRefusedMessage = refused.Enqueue });
        var subscription = await trading.SubscribeAsync(SeriesFilter.For("sim", "PLANT/USD", "1m"));
        var series = new Dictionary<string, object?> { ["exchange"] = "sim", ["symbol"] = "PLANT/USD", ["interval"] = "1m" };
        var good = JsonSerializer.Serialize(new PredictionCompleted
        {
            Exchange = "sim", Symbol = "PLANT/USD", Interval = "1m", AsOf = DateTimeOffset.Parse("2024-01-15T10:30:00Z"), Signal = Signal.Hold,
            Confidence = 0.5, Probabilities = new SignalProbabilities(0.25, 0.5, 0.25), Risk = new RiskAssessment(1, RiskLevel.Low, [], "stay flat"),
            Model = new ModelRef(TrainedModels.ModelName, 1), LatencyMs = 1,
        }, ContractJson.Options);

        // As a hostile or broken publisher on prediction.completed would (here the test's admin user): a huge body, a broken one, then a good one.
        await Amqp.PublishAsync(Exchanges.PredictionCompleted, "{\"padding\":\"" + new string('x', 100_000) + "\"}", headers: series);
        await Amqp.PublishAsync(Exchanges.PredictionCompleted, "{\"exchange\":\"sim\",", headers: series);
        await Amqp.PublishAsync(Exchanges.PredictionCompleted, good, headers: series);

        await using var reader = subscription.GetAsyncEnumerator();
        using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        Assert.That(await reader.MoveNextAsync().AsTask().WaitAsync(wait.Token), Is.True);

        Assert.That(reader.Current.AsOf, Is.EqualTo(DateTimeOffset.Parse("2024-01-15T10:30:00Z")), "the good one after the bad ones");
        Assert.That(refused.Select(r => r.Reason), Has.Exactly(1).Contains("above the limit of 4096").And.Exactly(1).Contains("not a prediction.completed"));
        Assert.That(subscription.Refused, Is.EqualTo(2));
        Assert.That(_log.Text, Does.Contain("Dropped a message from prediction.completed"));
        await subscription.DisposeAsync();
    }

    [Test]
    public async Task After_a_lost_connection_a_subscription_recovers_and_a_waiting_prediction_fails_at_once()
    {
        var trading = await ConnectAsync("trading", o => o with { RecoveryInterval = TimeSpan.FromMilliseconds(500) });
        await using var subscription = await trading.SubscribeAsync(SeriesFilter.For("sim", "PLANT/USD", "1m"));
        await using var reader = subscription.GetAsyncEnumerator();
        var headers = new Dictionary<string, object?> { ["exchange"] = "sim", ["symbol"] = "PLANT/USD", ["interval"] = "1m" };
        string Prediction(int minute) => JsonSerializer.Serialize(new PredictionCompleted
        {
            Exchange = "sim", Symbol = "PLANT/USD", Interval = "1m", AsOf = DateTimeOffset.Parse("2024-01-15T10:30:00Z").AddMinutes(minute),
            Signal = Signal.Hold, Confidence = 0.5, Probabilities = new SignalProbabilities(0.25, 0.5, 0.25),
            Risk = new RiskAssessment(1, RiskLevel.Low, [], "stay flat"), Model = new ModelRef(TrainedModels.ModelName, 1), LatencyMs = 1,
        }, ContractJson.Options);
        async Task<PredictionCompleted> NextAsync()
        {
            Assert.That(await reader.MoveNextAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(20)), Is.True);
            return reader.Current;
        }

        await Amqp.PublishAsync(Exchanges.PredictionCompleted, Prediction(0), headers: headers);
        Assert.That((await NextAsync()).AsOf.Minute, Is.EqualTo(30));
        // No Inference runs: the request waits in its queue when the connection goes.
        var waiting = trading.PredictAsync(new Client.Series("sim", "PLANT/USD", "1m"), timeout: TimeSpan.FromMinutes(1));
        for (var i = 0; i < 100 && trading.PendingPredictions == 0; i++)
            await Task.Delay(50);

        Assert.That(await Management.CloseConnectionsAsync(VirtualHost, exceptClientName: RawAmqp.ClientName), Is.EqualTo(1));

        var lost = Assert.ThrowsAsync<NeuralTradeClientException>(async () => await waiting.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.That(lost!.Message, Does.Contain("was lost while waiting for the answer"));
        for (var i = 0; i < 200 && !(trading.IsConnected && _log.Text.Contains("is recovered", StringComparison.Ordinal)); i++)
            await Task.Delay(100);
        Assert.That(trading.IsConnected, Is.True, "recovered");
        // The queue, its binding and the consumer are back; what was published before then is lost (at most once), so
        // publish until one arrives, and only ever the same prediction.
        var next = reader.MoveNextAsync().AsTask();
        for (var i = 0; i < 20 && !next.IsCompleted; i++)
        {
            await Amqp.PublishAsync(Exchanges.PredictionCompleted, Prediction(1), headers: headers);
            await Task.WhenAny(next, Task.Delay(500));
        }

        Assert.That(await next.WaitAsync(TimeSpan.FromSeconds(5)), Is.True);
        Assert.That(reader.Current.AsOf.Minute, Is.EqualTo(31), "the subscription receives again after recovery");
        Assert.That(subscription.Completion.IsCompleted, Is.False);
        Assert.That(_log.Text, Does.Contain("was lost").And.Contain("is recovered"));
    }

    /// <summary>Ready messages of a queue, or null where it does not exist.</summary>
    async Task<uint?> DepthOrMissingAsync(string queue) =>
        await Management.FindQueueAsync(VirtualHost, queue) is { } q ? (uint)q.GetProperty("messages").GetInt32() : null;

    /// <summary>Every line the client logged, exceptions included.</summary>
    sealed class CapturingLogger : ILoggerProvider, ILogger
    {
        readonly ConcurrentQueue<string> _lines = new();

        public string Text => string.Join('\n', _lines);

        public ILogger CreateLogger(string categoryName) => this;

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var line = $"{logLevel}: {formatter(state, exception)} {exception}";
            _lines.Enqueue(line);
            TestContext.Progress.WriteLine(line);
        }

        public void Dispose()
        {
        }
    }
}
