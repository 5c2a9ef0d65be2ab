using System.Runtime.Serialization;
using System.Text.Json;
using System.Text.Json.Nodes;
using MassTransit;
using MassTransit.Context;
using MassTransit.Serialization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using NeuralTrade.Events.Contracts;
using NeuralTrade.Events.MarketData;
using NeuralTrade.Events.Messaging;

namespace NeuralTrade.Events.Tests;

/// <summary>
/// The single-pass deserializer must give consumers what MassTransit's raw JSON deserializer gives them, refuse what it
/// refuses the same way, and forward the same body; and it must be the one the bus uses.
/// </summary>
public sealed class SinglePassJsonDeserializerTests
{
    const RawSerializerOptions Raw = RawSerializerOptions.AddTransportHeaders | RawSerializerOptions.CopyHeaders;
    static readonly IMessageDeserializer MassTransits = new SystemTextJsonRawMessageSerializer(Raw);
    static readonly IMessageDeserializer SinglePass = new SinglePassJsonDeserializer(Raw);

    static string RequestBody(int candles = 160) => JsonSerializer.Serialize(new PredictionRequested
    {
        RequestId = Guid.Parse("a8098c1a-f86e-11da-bd1a-00112444be1e"), Exchange = "binance", Symbol = "BTC/USDT", Interval = "1m",
        Candles = new MarketSimulator(new SimulatedMarket { Exchange = "binance", Symbol = "BTC/USDT", Seed = 7 }).Generate(candles).ToList(),
    }, ContractJson.Options);

    static IEnumerable<TestCaseData> Bodies()
    {
        TestCaseData Case(string name, string json) => new TestCaseData(json).SetArgDisplayNames(name);
        yield return Case("a request with 160 candles", RequestBody());
        yield return Case("other casing, unknown members", """{"RequestId":"a8098c1a-f86e-11da-bd1a-00112444be1e","EXCHANGE":"binance","x":[1,{"y":null}],"symbol":"BTC/USDT","interval":"1m"}""");
        yield return Case("empty object", "{}");
        yield return Case("empty body", "");
        yield return Case("whitespace around", "  \n{\"exchange\":\"binance\"}\n  ");
        yield return Case("candles not an array", """{"candles":"many"}""");
        yield return Case("a price as a string", """{"candles":[{"open":"1.5"}]}""");
        yield return Case("requestId not a guid", """{"requestId":"seven"}""");
        yield return Case("null", "null");
        yield return Case("a number", "42");
        yield return Case("a string", "\"candles\"");
        yield return Case("an empty array", "[]");
        yield return Case("an array", "[1,2]");
        yield return Case("not JSON", "candles please");
        yield return Case("truncated", """{"exchange":"binance","candles":[{"open":1""");
        yield return Case("two values", """{"exchange":"binance"} {"exchange":"kraken"}""");
        yield return Case("trailing comma", """{"exchange":"binance",}""");
        yield return Case("a comment", """{"exchange":"binance" /* feed */}""");
        yield return Case("too deep", new string('[', 100) + new string(']', 100));
        yield return Case("invalid UTF-8 in a string", "{\"exchange\":\"bin\u00ffance\"}".Replace("\u00ff", "\\uD800"));
    }

    [TestCaseSource(nameof(Bodies))]
    public void Consumers_get_what_MassTransits_raw_deserializer_gives_them(string body)
    {
        var expected = Outcome(MassTransits, body);
        var actual = Outcome(SinglePass, body);

        Assert.That(actual, Is.EqualTo(expected));
    }

    /// <summary>What a consumer of <see cref="PredictionRequested"/> would see: the message as JSON, or which exception and where.</summary>
    static string Outcome(IMessageDeserializer deserializer, string body)
    {
        SerializerContext context;
        try
        {
            context = deserializer.Deserialize(new StringMessageBody(body), EmptyHeaders.Instance);
        }
        catch (SerializationException e)
        {
            return $"refused on receipt: {e.Message} ({e.InnerException?.GetType().Name})";
        }

        try
        {
            var typed = context.TryGetMessage<PredictionRequested>(out var message) ? JsonSerializer.Serialize(message, ContractJson.Options) : "no message";
            var untyped = context.TryGetMessage(typeof(MarketCandles), out var other) ? JsonSerializer.Serialize(other, ContractJson.Options) : "no message";
            var node = context.TryGetMessage<JsonObject>(out var json) ? json!.ToJsonString() : "no object";
            return $"{typed} | {untyped} | {node}";
        }
        catch (Exception e)
        {
            return $"refused when read as the consumer's type: {e.GetType().Name} {e.Message}";
        }
    }

    [Test]
    public void A_forwarded_or_redelivered_message_has_the_same_body()
    {
        var body = RequestBody(20);
        var headers = new DictionarySendHeaders();

        var expected = MassTransits.Deserialize(new StringMessageBody(body), headers).GetMessageSerializer();
        var actual = SinglePass.Deserialize(new StringMessageBody(body), headers).GetMessageSerializer();

        Assert.That(actual.ContentType, Is.EqualTo(expected.ContentType));
        Assert.That(Body(actual), Is.EqualTo(Body(expected)));
        Assert.That(JsonNode.DeepEquals(JsonNode.Parse(Body(actual)), JsonNode.Parse(body)), Is.True, "the body as received");
    }

    static string Body(IMessageSerializer serializer) =>
        serializer.GetMessageBody(new MessageSendContext<PredictionRequested>(
            new PredictionRequested { RequestId = Guid.Empty, Exchange = "other", Symbol = "OTHER", Interval = "1d" }, CancellationToken.None)).GetString();

    [Test]
    public async Task The_bus_reads_application_json_with_it()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.AddNeuralTradeBus(useTestHarness: true);
        using var host = builder.Build();
        await host.StartAsync();
        try
        {
            var probe = JsonSerializer.Serialize(host.Services.GetRequiredService<IBus>().GetProbeResult());

            Assert.That(probe, Does.Contain("single pass"));
        }
        finally
        {
            await host.StopAsync();
        }
    }
}
