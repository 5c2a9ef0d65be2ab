using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using NeuralTrade.Events.Contracts;
using NeuralTrade.Events.Testing;
using NeuralTrade.Events.Workers.Inference;
using NeuralTrade.Events.Workers.Ingest;
using OpenTelemetry.Trace;

namespace NeuralTrade.Events.IntegrationTests;

/// <summary>
/// One candle's trace across processes: a feed's market.candles → Ingest (consume, store, publish data.ingested) → the
/// broker → Inference (consume, predict, publish prediction.completed). Ingest and Inference are separate hosts; the
/// only thing linking their spans is the trace context MassTransit carries in the message headers.
/// </summary>
public sealed class TracingBrokerTests : BrokerTest
{
    [Test]
    public async Task The_trace_of_one_candle_links_the_spans_of_Ingest_and_Inference()
    {
        await CandleStore.AppendAsync(TrainedModels.Series, TrainedModels.Market.Take(TrainedModels.Market.Count - 1).ToList(), null);
        await RegisterTrainedModelAsync("trace-run", champion: true);

        var ingestSpans = new List<Activity>();
        var inferenceSpans = new List<Activity>();
        await StartHostAsync(b => b.AddIngestWorker(), services: s => s.AddOpenTelemetry().WithTracing(t => t.AddInMemoryExporter(ingestSpans)));
        await StartHostAsync(b => b.AddInferenceWorker(), new Dictionary<string, string?>
        {
            ["Tracking:LocalDirectory"] = ScratchDirectory, ["Inference:InstanceId"] = "trace",
        }, s => s.AddOpenTelemetry().WithTracing(t => t.AddInMemoryExporter(inferenceSpans)));
        var answers = await Amqp.TapAsync(Exchanges.PredictionCompleted);

        // The newest candle arrives from a plain AMQP feed, as in production.
        var candle = TrainedModels.Market[^1];
        await Amqp.PublishAsync(Exchanges.MarketCandles, JsonSerializer.Serialize(new MarketCandles { Candles = [candle] }, ContractJson.Options), "trace-candle");
        var prediction = (await answers.WaitForCountAsync(1)).Single();
        Assert.That(prediction.Json.GetProperty("asOf").GetString(), Is.EqualTo(candle.OpenTime.ToString("yyyy-MM-ddTHH:mm:ssZ")));
        await Task.Delay(500); // spans end as their scopes unwind

        // Both providers listen to every source in this process; what links the two hosts is the trace id, not who exported it.
        var spans = ingestSpans.Concat(inferenceSpans).DistinctBy(a => a.SpanId).ToList();
        var ingest = spans.Single(a => a.Source.Name == "NeuralTrade.Ingest" && a.OperationName == "ingest market.candles");
        var stream = spans.Single(a => a.Source.Name == "NeuralTrade.Inference" && a.OperationName == "predict stream");
        Assert.That(stream.TraceId, Is.EqualTo(ingest.TraceId), "Inference continues the candle's trace");

        // The chain: Inference's span descends, through MassTransit's consume and publish spans, from Ingest's.
        var byId = spans.ToDictionary(a => a.SpanId);
        var chain = new List<Activity>();
        for (var a = stream; a is not null; a = a.ParentSpanId != default && byId.TryGetValue(a.ParentSpanId, out var parent) ? parent : null)
            chain.Add(a);
        TestContext.Out.WriteLine(string.Join("\n  ← ", chain.Select(a => $"{a.Source.Name}: {a.DisplayName} ({a.Kind})")));
        Assert.That(chain.Select(a => a.SpanId), Does.Contain(ingest.SpanId), "the predict span's ancestors include Ingest's span");
        Assert.That(chain.Select(a => (a.Source.Name, a.DisplayName)), Does.Contain(("MassTransit", "inference-stream receive"))
            .And.Contain(("MassTransit", $"{Exchanges.DataIngested} send")), "between them: data.ingested sent by Ingest, received by Inference");
        Assert.That(spans.Any(a => a.TraceId == ingest.TraceId && a.Source.Name == "MassTransit" && a.Kind == ActivityKind.Producer
            && a.DisplayName.Contains(Exchanges.PredictionCompleted, StringComparison.Ordinal)), Is.True, "prediction.completed is published in the same trace");
    }
}
