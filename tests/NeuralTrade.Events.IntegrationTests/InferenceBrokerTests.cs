using System.Text.Json;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using NeuralTrade.Events.Contracts;
using NeuralTrade.Events.Stores;
using NeuralTrade.Events.Testing;
using NeuralTrade.Events.Workers.Inference;

namespace NeuralTrade.Events.IntegrationTests;

/// <summary>Inference on a real RabbitMQ and Redis: every instance swaps; requests from any client are answered.</summary>
public sealed class InferenceBrokerTests : BrokerTest
{
    Task<IHost> StartInferenceAsync(string instance = "a") => StartHostAsync(b => b.AddInferenceWorker(), new Dictionary<string, string?>
    {
        ["Tracking:LocalDirectory"] = ScratchDirectory,
        ["Inference:InstanceId"] = instance,
    });


    async Task<RegisteredVersion> RegisterAsync(string runId, bool champion)
    {
        var completed = TrainedModels.Completed(ScratchDirectory, runId);
        var version = await RegistryState.AddVersionAsync(new RegisteredVersion(completed.ModelName, 0, runId, completed.Artifact, completed.Metrics,
            DateTimeOffset.UtcNow, RegisteredVersion.Local));
        if (champion)
            await RegistryState.PromoteAsync(completed.ModelName, version.Version);
        return version;
    }

    static string Deployed(RegisteredVersion v, string? sha = null) => JsonSerializer.Serialize(new ModelDeployed
    {
        ModelName = v.ModelName, Version = v.Version, RunId = v.RunId, Artifact = v.Artifact with { Sha256 = sha ?? v.Artifact.Sha256 },
        Metrics = v.Metrics,
    }, ContractJson.Options);

    [Test]
    public async Task Every_instance_swaps_on_model_deployed_and_a_plain_client_gets_answers()
    {
        await CandleStore.AppendAsync(TrainedModels.Series, TrainedModels.Market, null);
        await RegisterAsync("run-1", champion: true);
        var first = await StartInferenceAsync();
        var second = await StartInferenceAsync("b");
        var completed = await Amqp.TapAsync(Exchanges.PredictionCompleted);
        Assert.That(first.Services.GetRequiredService<ModelCatalog>().Current(TrainedModels.ModelName)!.Version, Is.EqualTo(1), "loaded before serving");

        var v2 = await RegisterAsync("run-2", champion: true); // the Registry records the champion, then announces it
        await Amqp.PublishAsync(Exchanges.ModelDeployed, Deployed(v2));
        foreach (var host in new[] { first, second })
        {
            var catalog = host.Services.GetRequiredService<ModelCatalog>();
            for (var i = 0; i < 200 && catalog.Current(TrainedModels.ModelName)?.Version != 2; i++)
                await Task.Delay(50);
            Assert.That(catalog.Current(TrainedModels.ModelName)!.Version, Is.EqualTo(2), "every instance swaps, not one of them");
        }

        var requestIds = Enumerable.Range(0, 20).Select(_ => Guid.NewGuid()).ToList();
        foreach (var id in requestIds)
            await Amqp.PublishAsync(Exchanges.PredictionRequested,
                $$"""{"requestId":"{{id}}","correlationId":"{{id}}","exchange":"sim","symbol":"PLANT/USD","interval":"1m"}""");

        var answers = await completed.WaitAsync(r => requestIds.All(id => r.Any(d => d.Json.TryGetProperty("requestId", out var x) && x.GetGuid() == id)),
            TimeSpan.FromSeconds(30), "20 answers");
        var one = answers.First(d => d.Json.GetProperty("requestId").GetGuid() == requestIds[0]).Json;
        Assert.That(one.GetProperty("model").GetProperty("version").GetInt32(), Is.EqualTo(2));
        Assert.That(one.GetProperty("signal").GetString(), Is.AnyOf("sell", "hold", "buy"));
        Assert.That(one.GetProperty("correlationId").GetGuid(), Is.EqualTo(requestIds[0]));
    }

    [Test]
    public async Task A_tampered_deployment_is_dead_lettered_with_the_reason_and_the_champion_keeps_serving()
    {
        await CandleStore.AppendAsync(TrainedModels.Series, TrainedModels.Market, null);
        var v1 = await RegisterAsync("run-1", champion: true);
        var host = await StartInferenceAsync();
        var v2 = await RegisterAsync("run-2", champion: false);

        await Amqp.PublishAsync(Exchanges.ModelDeployed, Deployed(v2, sha: new string('0', 64)));

        var catalog = host.Services.GetRequiredService<ModelCatalog>();
        List<Delivery> dead = [];
        for (var i = 0; i < 100 && dead.Count == 0; i++)
        {
            await Task.Delay(100);
            dead.AddRange(await Amqp.DrainAsync(ModelDeployedConsumerDefinition.QueueFor("a") + "_error"));
        }

        Assert.That(dead, Has.Count.EqualTo(1));
        Assert.That(dead[0].Header("MT-Fault-Message"), Does.Contain("v2 refused").And.Contain("is not the one the Registry recorded"));
        Assert.That(catalog.Current(TrainedModels.ModelName)!.Version, Is.EqualTo(v1.Version));
    }

    [Test]
    public async Task A_subscriber_of_the_by_series_exchange_receives_exactly_its_series()
    {
        await CandleStore.AppendAsync(TrainedModels.Series, TrainedModels.Market, null);
        await RegisterAsync("run-1", champion: true);
        await StartInferenceAsync(); // declares prediction.completed and its by-series headers exchange, bound from it
        static Dictionary<string, object?> Filter(params (string Header, string Value)[] wanted)
        {
            var arguments = new Dictionary<string, object?> { ["x-match"] = "all" };
            foreach (var (header, value) in wanted)
                arguments[header] = value;
            return arguments;
        }

        var everything = await Amqp.TapAsync(Exchanges.PredictionCompleted);
        var series = await Amqp.TapAsync(Exchanges.PredictionCompletedBySeries, "headers", Filter(
            (Exchanges.SeriesHeaders.Exchange, "sim"), (Exchanges.SeriesHeaders.Symbol, "PLANT/USD"), (Exchanges.SeriesHeaders.Interval, "1m")));
        var symbol = await Amqp.TapAsync(Exchanges.PredictionCompletedBySeries, "headers", Filter((Exchanges.SeriesHeaders.Symbol, "PLANT/USD")));
        var otherSymbol = await Amqp.TapAsync(Exchanges.PredictionCompletedBySeries, "headers", Filter((Exchanges.SeriesHeaders.Symbol, "OTHER/USD")));
        var otherInterval = await Amqp.TapAsync(Exchanges.PredictionCompletedBySeries, "headers", Filter(
            (Exchanges.SeriesHeaders.Symbol, "PLANT/USD"), (Exchanges.SeriesHeaders.Interval, "5m")));

        var requestIds = Enumerable.Range(0, 10).Select(_ => Guid.NewGuid()).ToList();
        foreach (var id in requestIds)
            await Amqp.PublishAsync(Exchanges.PredictionRequested,
                $$"""{"requestId":"{{id}}","correlationId":"{{id}}","exchange":"sim","symbol":"PLANT/USD","interval":"1m"}""");

        static IReadOnlyList<Guid> Ids(IReadOnlyList<Delivery> deliveries) =>
            [.. deliveries.Select(d => d.Json.GetProperty("requestId").GetGuid()).Order()];
        await everything.WaitForCountAsync(requestIds.Count, TimeSpan.FromSeconds(30));
        var exact = await series.WaitForCountAsync(requestIds.Count, TimeSpan.FromSeconds(10));
        var bySymbol = await symbol.WaitForCountAsync(requestIds.Count, TimeSpan.FromSeconds(10));
        await Task.Delay(TimeSpan.FromSeconds(1)); // anything wrongly routed has arrived by now

        Assert.That(Ids(everything.Received), Is.EqualTo(requestIds.Order().ToList()), "the fanout keeps every prediction");
        Assert.That(Ids(series.Received), Is.EqualTo(requestIds.Order().ToList()), "the whole series, once each");
        Assert.That(Ids(symbol.Received), Is.EqualTo(requestIds.Order().ToList()), "a filter on the symbol alone");
        Assert.That(otherSymbol.Received, Is.Empty, "another symbol's subscriber");
        Assert.That(otherInterval.Received, Is.Empty, "the same symbol on another interval");
        var headers = exact[0];
        Assert.That((headers.Header(Exchanges.SeriesHeaders.Exchange), headers.Header(Exchanges.SeriesHeaders.Symbol), headers.Header(Exchanges.SeriesHeaders.Interval)),
            Is.EqualTo(("sim", "PLANT/USD", "1m")), "the series as AMQP headers");
        Assert.That(bySymbol[0].Body, Is.EqualTo(everything.Received.First(d => d.Json.GetProperty("requestId").GetGuid() == bySymbol[0].Json.GetProperty("requestId").GetGuid()).Body),
            "the same body as on the fanout");
    }

    [Test]
    public async Task A_dotnet_caller_can_use_request_response()
    {
        await CandleStore.AppendAsync(TrainedModels.Series, TrainedModels.Market, null);
        await RegisterAsync("run-1", champion: true);
        var host = await StartInferenceAsync();
        // Published to prediction.requested, as the contract says: a request sent to "queue:inference" would have
        // MassTransit declare that queue with its own arguments, which the broker refuses for the quorum queue.
        var client = host.Services.GetRequiredService<IBus>().CreateRequestClient<PredictionRequested>(RequestTimeout.After(s: 30));

        var response = await client.GetResponse<PredictionCompleted, PredictionFailed>(new PredictionRequested
        {
            RequestId = Guid.NewGuid(), Exchange = "sim", Symbol = "PLANT/USD", Interval = "1m",
        });

        Assert.That(response.Is(out Response<PredictionCompleted>? ok), Is.True);
        Assert.That(ok!.Message.Model.Version, Is.EqualTo(1));
    }
}

/// <summary>The prediction cache contract on a real Redis, and its key as operators read it.</summary>
[Category("Broker")]
public sealed class RedisPredictionCacheTests : PredictionCacheContract
{
    RedisScratch? _redis;

    protected override IPredictionCache Cache => new RedisPredictionCache(_redis!.Redis, _redis.Keys);

    protected override Task PassAsync(TimeSpan time) => Task.Delay(time);

    [SetUp]
    public async Task Connect() => _redis = await RedisScratch.CreateAsync();

    [TearDown]
    public async Task Clean()
    {
        if (_redis is not null)
            await _redis.DisposeAsync();
    }

    [Test]
    public async Task The_latest_prediction_is_the_contract_JSON_under_the_documented_key_with_a_ttl_of_one_interval()
    {
        var series = new MarketData.SeriesKey("binance", "BTC/USDT", "5m");
        var asOf = new DateTimeOffset(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);
        var prediction = MonitorRig.Streamed(TestCandles.One() with { Interval = "5m", OpenTime = asOf }, Signal.Sell, 0.6, "signal-x", 2);
        await Cache.SetAsync(series, prediction, TimeSpan.FromMinutes(5));

        var key = $"{_redis!.Keys.Prefix}:inference:latest:binance:BTC/USDT:5m";
        var db = _redis.Redis.GetDatabase();
        var stored = JsonSerializer.Deserialize<PredictionCompleted>((string)(await db.StringGetAsync(key))!, ContractJson.Options);
        var ttl = await db.KeyTimeToLiveAsync(key);

        Assert.That(stored!.AsOf, Is.EqualTo(asOf));
        Assert.That(stored.Model, Is.EqualTo(new ModelRef("signal-x", 2)));
        Assert.That(ttl, Is.GreaterThan(TimeSpan.FromMinutes(4)).And.LessThanOrEqualTo(TimeSpan.FromMinutes(5)));
    }
}
