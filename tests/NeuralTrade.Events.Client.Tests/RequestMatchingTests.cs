using System.Text;
using System.Text.Json;
using NeuralTrade.Events.Contracts;

namespace NeuralTrade.Events.Client.Tests;

/// <summary>Answers arriving on the one answers queue, among streamed predictions and other clients' answers, reach their own request.</summary>
public sealed class RequestMatchingTests
{
    static byte[] Completed(Guid? requestId, string symbol = "BTC/USDT", int version = 3) => JsonSerializer.SerializeToUtf8Bytes(new PredictionCompleted
    {
        RequestId = requestId, Exchange = "binance", Symbol = symbol, Interval = "1m", AsOf = DateTimeOffset.Parse("2024-01-15T10:30:00Z"),
        Signal = Signal.Buy, Confidence = 0.61, Probabilities = new SignalProbabilities(0.14, 0.25, 0.61),
        Risk = new RiskAssessment(4.2, RiskLevel.Medium, ["volatility 0.8% per candle"], "trade with reduced size"),
        Model = new ModelRef("signal-binance-btc_susdt-1m", version), LatencyMs = 3.4,
    }, ContractJson.Options);

    static byte[] Failed(Guid requestId, string code) => JsonSerializer.SerializeToUtf8Bytes(new PredictionFailed
    {
        RequestId = requestId, Exchange = "binance", Symbol = "BTC/USDT", Interval = "1m", Code = code, Error = "1 of 60 candles is invalid.",
        Reasons = [new RejectionReason(3, "non_positive", "open", "open -1 must be greater than zero.")],
    }, ContractJson.Options);

    [Test]
    public async Task Each_answer_reaches_its_own_request_whatever_else_arrives_between()
    {
        var pending = new PendingPredictions();
        var (a, b) = (Guid.NewGuid(), Guid.NewGuid());
        var forA = pending.Register(a);
        var forB = pending.Register(b);

        Assert.That(pending.Route(Exchanges.PredictionCompleted, Completed(null)).Outcome, Is.EqualTo(AnswerOutcome.NotOurs), "streamed");
        Assert.That(pending.Route(Exchanges.PredictionCompleted, Completed(Guid.NewGuid())).Outcome, Is.EqualTo(AnswerOutcome.NotOurs), "another client's");
        Assert.That(pending.Route(Exchanges.PredictionCompleted, Completed(b, version: 7)).Outcome, Is.EqualTo(AnswerOutcome.Answered));
        Assert.That(forA.IsCompleted, Is.False);
        Assert.That(pending.Route(Exchanges.PredictionCompleted, Completed(a, version: 5)).Outcome, Is.EqualTo(AnswerOutcome.Answered));

        Assert.That(((await forA).RequestId, (await forA).Model.Version), Is.EqualTo(((Guid?)a, 5)));
        Assert.That(((await forB).RequestId, (await forB).Model.Version), Is.EqualTo(((Guid?)b, 7)));
        Assert.That(pending.Count, Is.Zero);
    }

    [Test]
    public void A_prediction_failed_becomes_the_typed_exception_with_code_error_and_reasons()
    {
        var pending = new PendingPredictions();
        var id = Guid.NewGuid();
        var answer = pending.Register(id);

        pending.Route(Exchanges.PredictionFailed, Failed(id, PredictionFailureCodes.InvalidCandles));

        var e = Assert.ThrowsAsync<PredictionFailedException>(async () => await answer);
        Assert.That((e!.Code, e.Error, e.RequestId), Is.EqualTo(("invalid_candles", "1 of 60 candles is invalid.", id)));
        Assert.That(e.Reasons.Single(), Is.EqualTo(new RejectionReason(3, "non_positive", "open", "open -1 must be greater than zero.")));
        Assert.That(e.Message, Is.EqualTo($"prediction.failed invalid_candles for binance:BTC/USDT:1m (request {id}): 1 of 60 candles is invalid."));
    }

    [Test]
    public void A_second_answer_to_the_same_request_is_not_ours_any_more()
    {
        var pending = new PendingPredictions();
        var id = Guid.NewGuid();
        _ = pending.Register(id);

        Assert.That(pending.Route(Exchanges.PredictionCompleted, Completed(id)).Outcome, Is.EqualTo(AnswerOutcome.Answered));
        Assert.That(pending.Route(Exchanges.PredictionCompleted, Completed(id)).Outcome, Is.EqualTo(AnswerOutcome.NotOurs));
    }

    [Test]
    public void An_unreadable_answer_to_our_request_fails_that_request_and_is_reported()
    {
        var pending = new PendingPredictions();
        var id = Guid.NewGuid();
        var answer = pending.Register(id);
        var body = Encoding.UTF8.GetBytes($$"""{"requestId":"{{id}}","exchange":"binance","signal":"moon"}""");

        var (outcome, problem) = pending.Route(Exchanges.PredictionCompleted, body);

        Assert.That(outcome, Is.EqualTo(AnswerOutcome.Unreadable));
        Assert.That(problem, Does.Contain($"answering request {id} is not the contract's JSON"));
        var e = Assert.ThrowsAsync<NeuralTradeClientException>(async () => await answer);
        Assert.That(e!.InnerException, Is.InstanceOf<JsonException>());
    }

    [TestCase("not json at all")]
    [TestCase("[1,2,3]")]
    [TestCase("")]
    [TestCase("""{"requestId":12}""")]
    [TestCase("""{"requestId":"not-a-uuid"}""")]
    [TestCase("""{"nested":{"requestId":"0f8fad5b-d9cb-469f-a165-70867728950e"}}""")]
    public void Bodies_without_a_top_level_request_id_of_ours_are_skipped(string body)
    {
        var pending = new PendingPredictions();
        var waiting = pending.Register(Guid.Parse("0f8fad5b-d9cb-469f-a165-70867728950e"));

        Assert.That(pending.Route(Exchanges.PredictionCompleted, Encoding.UTF8.GetBytes(body)).Outcome, Is.EqualTo(AnswerOutcome.NotOurs));
        Assert.That(waiting.IsCompleted, Is.False);
    }

    [Test]
    public void The_request_id_is_read_case_insensitively_and_escaped_as_the_contract_reads_names()
    {
        var id = Guid.NewGuid();

        Assert.That(JsonPeek.TopLevelGuid(Encoding.UTF8.GetBytes($$"""{"a":[1,{"requestId":"x"}],"RequestID":"{{id}}"}"""), "requestId"u8), Is.EqualTo(id));
        Assert.That(JsonPeek.TopLevelGuid(Encoding.UTF8.GetBytes($$"""{"request\u0049d":"{{id}}"}"""), "requestId"u8), Is.EqualTo(id));
        Assert.That(JsonPeek.TopLevelGuid(Encoding.UTF8.GetBytes($$"""{"requestIdx":"{{id}}"}"""), "requestId"u8), Is.Null);
    }

    [Test]
    public async Task Many_concurrent_requests_each_get_their_own_answer_delivered_in_any_order()
    {
        var pending = new PendingPredictions();
        var ids = Enumerable.Range(0, 500).Select(_ => Guid.NewGuid()).ToList();
        var answers = ids.ToDictionary(id => id, pending.Register);
        var deliveries = ids.Select((id, i) => (Body: Completed(id, version: i), Exchange: Exchanges.PredictionCompleted))
            .Concat(Enumerable.Range(0, 500).Select(_ => (Body: Completed(null), Exchange: Exchanges.PredictionCompleted)))
            .OrderBy(_ => Random.Shared.Next()).ToList();

        await Parallel.ForEachAsync(deliveries, new ParallelOptions { MaxDegreeOfParallelism = 8 }, (d, _) =>
        {
            pending.Route(d.Exchange, d.Body);
            return ValueTask.CompletedTask;
        });

        for (var i = 0; i < ids.Count; i++)
        {
            var answer = await answers[ids[i]];
            Assert.That((answer.RequestId, answer.Model.Version), Is.EqualTo(((Guid?)ids[i], i)));
        }

        Assert.That(pending.Count, Is.Zero);
    }

    [Test]
    public void A_lost_connection_fails_every_waiting_request_and_a_request_id_waits_once()
    {
        var pending = new PendingPredictions();
        var id = Guid.NewGuid();
        var first = pending.Register(id);
        var second = pending.Register(Guid.NewGuid());
        Assert.Throws<InvalidOperationException>(() => pending.Register(id));

        pending.FailAll(new NeuralTradeClientException("connection lost"));

        Assert.That(new[] { first, second }.Select(t => t.Exception?.InnerException?.Message), Is.All.EqualTo("connection lost"));
        Assert.That(pending.Count, Is.Zero);
    }
}
