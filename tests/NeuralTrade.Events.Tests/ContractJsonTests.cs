using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using MassTransit;
using MassTransit.Serialization;
using NeuralTrade.Events.Contracts;
using NeuralTrade.Events.Messaging;

namespace NeuralTrade.Events.Tests;

/// <summary>
/// Pins the JSON of every public message to a checked-in golden file, as the bus writes it: a renamed or
/// retyped member breaks a test before it breaks a feed. Set NEURALTRADE_UPDATE_GOLDEN=1 to rewrite them
/// after an intended, additive change.
/// </summary>
public sealed class ContractJsonTests
{
    static readonly JsonSerializerOptions Wire = BusRegistration.ConfigureWireJson(new JsonSerializerOptions(SystemTextJsonMessageSerializer.Options));

    static readonly Guid EventId = Guid.Parse("0f8fad5b-d9cb-469f-a165-70867728950e");
    static readonly Guid CorrelationId = Guid.Parse("7c9e6679-7425-40de-944b-e07fc1f90ae7");
    static readonly Guid RequestId = Guid.Parse("a8098c1a-f86e-11da-bd1a-00112444be1e");
    static readonly DateTimeOffset At = new(2024, 1, 15, 10, 31, 0, TimeSpan.Zero);
    static readonly Candle Candle = new("binance", "BTC/USDT", "1m", new DateTimeOffset(2024, 1, 15, 10, 30, 0, TimeSpan.Zero),
        42150.5m, 42300m, 42100m, 42250.75m, 1234.56m);
    static readonly ArtifactRef Artifact = new("file:///var/lib/neuraltrade/artifacts/run-1/model.ntm",
        "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", 1_048_576);
    static readonly Dictionary<string, double> Metrics = new() { ["macro_f1"] = 0.41, ["accuracy"] = 0.52 };
    static readonly ModelRef Model = new("signal-binance-btc-usdt-1m", 3);

    static IEnumerable<TestCaseData> Samples()
    {
        T Id<T>(T e) where T : IntegrationEvent => e with { EventId = EventId, CorrelationId = CorrelationId, OccurredAt = At };

        yield return Case(Id(new MarketCandles { Candles = [Candle], Source = "binance-ws" }));
        yield return Case(Id(new DataIngested
        {
            Exchange = "binance", Symbol = "BTC/USDT", Interval = "1m", Candles = [Candle],
            FirstOpenTime = Candle.OpenTime, LastOpenTime = Candle.OpenTime,
            Gaps = [new CandleGap(Candle.OpenTime.AddMinutes(-4), Candle.OpenTime, 3)],
        }));
        yield return Case(Id(new DataRejected
        {
            Reasons = [new RejectionReason(0, "non_positive", "open", "open -1 must be greater than zero.")],
            Candles = [JsonDocument.Parse("""{"exchange":"binance","symbol":"BTC/USDT","interval":"1m","openTime":"2024-01-15T10:30:00Z","open":-1,"high":2,"low":1,"close":1.5,"volume":3}""").RootElement],
            Source = "binance-ws",
        }));
        yield return Case(Id(new TrainingRequested
        {
            RequestId = RequestId, Exchange = "binance", Symbol = "BTC/USDT", Interval = "1m",
            From = new DateTimeOffset(2024, 1, 1, 0, 0, 0, TimeSpan.Zero), To = new DateTimeOffset(2024, 1, 15, 0, 0, 0, TimeSpan.Zero),
            Hyperparameters = new Dictionary<string, JsonElement> { ["hiddenSize"] = JsonDocument.Parse("64").RootElement },
            Reason = "manual",
        }));
        yield return Case(Id(new TrainingStarted { RequestId = RequestId, RunId = "run-1", ExperimentId = "1", ModelName = Model.Name }));
        yield return Case(Id(new TrainingCompleted
        {
            RequestId = RequestId, RunId = "run-1", ModelName = Model.Name, Artifact = Artifact, Metrics = Metrics,
            Dataset = new DatasetRange(new DateTimeOffset(2024, 1, 1, 0, 0, 0, TimeSpan.Zero), Candle.OpenTime, 19_000),
            DurationSeconds = 95.5,
            Tracking = new TrackingInfo("local", "MLflow at http://mlflow:5000/api/2.0/ could not start the run: connection refused"),
        }));
        yield return Case(Id(new TrainingFailed { RequestId = RequestId, Error = "binance:BTC/USDT:1m holds 120 candles; training needs at least 500." }));
        yield return Case(Id(new ModelDeployed
        {
            ModelName = Model.Name, Version = 3, RunId = "run-1", Artifact = Artifact, Metrics = Metrics, PreviousVersion = 2, Reason = "gate",
        }));
        yield return Case(Id(new PromoteModel { ModelName = Model.Name, Version = 2, Reason = "v3 misbehaves in production" }));
        yield return Case(Id(new RollbackModel { ModelName = Model.Name, Reason = "v3 misbehaves in production" }));
        yield return Case(Id(new ModelRejected
        {
            ModelName = Model.Name, RunId = "run-2", Reason = "macro_f1 0.39 does not beat the champion's 0.41 by 0.01.",
            CandidateMetrics = new Dictionary<string, double> { ["macro_f1"] = 0.39 }, ChampionMetrics = Metrics,
        }));
        yield return Case(Id(new PredictionRequested { RequestId = RequestId, Exchange = "binance", Symbol = "BTC/USDT", Interval = "1m" }));
        yield return Case(Id(new PredictionCompleted
        {
            RequestId = RequestId, Exchange = "binance", Symbol = "BTC/USDT", Interval = "1m", AsOf = Candle.OpenTime,
            Signal = Signal.Buy, Confidence = 0.61, Probabilities = new SignalProbabilities(0.14, 0.25, 0.61),
            Risk = new RiskAssessment(4.2, RiskLevel.Medium, ["volatility 0.8% per candle"], "trade with reduced size"),
            Model = Model, LatencyMs = 3.4,
        }));
        yield return Case(Id(new PredictionFailed
        {
            RequestId = RequestId, Exchange = "binance", Symbol = "BTC/USDT", Interval = "1m", Code = "invalid_candles",
            Error = "1 of 60 candles is invalid.", Reasons = [new RejectionReason(3, "non_positive", "open", "open -1 must be greater than zero.")],
        }));
        yield return Case(Id(new DriftDetected
        {
            DriftType = DriftType.Data, Metric = "psi", Feature = "log_return", Value = 0.31, Baseline = 0, Threshold = 0.25,
            Severity = DriftSeverity.High, Exchange = "binance", Symbol = "BTC/USDT", Interval = "1m", Model = Model,
            Window = new TimeWindow(new DateTimeOffset(2024, 1, 15, 8, 0, 0, TimeSpan.Zero), Candle.OpenTime), Reference = DriftReference.Champion,
            Action = Exchanges.TrainingRequested,
        }));
    }

    static TestCaseData Case<T>(T message) where T : IntegrationEvent =>
        new TestCaseData(typeof(T), message).SetArgDisplayNames(Exchanges.NameOf(typeof(T))!);

    [TestCaseSource(nameof(Samples))]
    public void Body_matches_golden_file(Type type, object message)
    {
        var actual = JsonSerializer.Serialize(message, type, Wire);
        var name = Exchanges.NameOf(type)!;
        var path = Path.Combine(TestContext.CurrentContext.TestDirectory, "Golden", $"{name}.json");

        if (Environment.GetEnvironmentVariable("NEURALTRADE_UPDATE_GOLDEN") == "1")
        {
            var source = Path.Combine(SourceDirectory(), "Golden", $"{name}.json");
            File.WriteAllText(source, JsonNode.Parse(actual)!.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
            Assert.Ignore($"rewrote {source}");
        }

        Assert.That(File.Exists(path), Is.True, $"no golden file {name}.json; run with NEURALTRADE_UPDATE_GOLDEN=1 once");
        var expected = JsonNode.Parse(File.ReadAllText(path));
        Assert.That(JsonNode.DeepEquals(JsonNode.Parse(actual), expected), Is.True,
            $"the wire shape of {name} changed.\nexpected: {expected!.ToJsonString()}\nactual:   {actual}");
    }

    [TestCaseSource(nameof(Samples))]
    public void Golden_file_reads_back_to_the_same_message(Type type, object message)
    {
        var path = Path.Combine(TestContext.CurrentContext.TestDirectory, "Golden", $"{Exchanges.NameOf(type)}.json");
        var read = JsonSerializer.Deserialize(File.ReadAllText(path), type, Wire);

        Assert.That(JsonSerializer.Serialize(read, type, Wire), Is.EqualTo(JsonSerializer.Serialize(message, type, Wire)));
    }

    [Test]
    public void Every_contract_names_its_exchange_and_a_frozen_urn()
    {
        Assert.That(Exchanges.ContractTypes, Has.Count.EqualTo(15));
        foreach (var type in Exchanges.ContractTypes)
        {
            var exchange = Exchanges.NameOf(type);
            Assert.That(exchange, Does.Match(@"^[a-z]+\.[a-z]+$"), type.Name);
            Assert.That(type.GetCustomAttribute<MessageUrnAttribute>()?.Urn.ToString(), Is.EqualTo($"urn:message:neuraltrade:{exchange}"), type.Name);
            Assert.That(type.IsSubclassOf(typeof(IntegrationEvent)), Is.True, type.Name);
        }
    }

    [Test]
    public void Unknown_fields_are_ignored_and_timestamps_with_offsets_are_read_as_utc()
    {
        const string body = """
            {"eventId":"0f8fad5b-d9cb-469f-a165-70867728950e","occurredAt":"2024-01-15T12:31:00+02:00","correlationId":"7c9e6679-7425-40de-944b-e07fc1f90ae7",
             "schemaVersion":1,"requestId":"a8098c1a-f86e-11da-bd1a-00112444be1e","exchange":"binance","symbol":"BTC/USDT","interval":"1m",
             "somethingNew":{"a":1}}
            """;

        var message = JsonSerializer.Deserialize<PredictionRequested>(body, Wire)!;

        Assert.That(message.OccurredAt, Is.EqualTo(At));
        Assert.That(message.OccurredAt.Offset, Is.EqualTo(TimeSpan.Zero));
        Assert.That(message.Candles, Is.Null);
    }

    static string SourceDirectory([System.Runtime.CompilerServices.CallerFilePath] string path = "") => Path.GetDirectoryName(path)!;
}
