using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;
using NeuralTrade.Events.Contracts;
using NeuralTrade.Events.MarketData;

namespace NeuralTrade.Events.Tests;

/// <summary>
/// The JSON Schema of every public message (docs/schemas/, generated from the contract records) is what the code
/// generates, every golden body validates against its schema with an independent validator (JsonSchema.Net), and a body
/// that breaks the contract does not. <c>NEURALTRADE_UPDATE_GOLDEN=1</c> rewrites the committed schemas.
/// </summary>
public sealed class ContractSchemaTests
{
    static string Repository([System.Runtime.CompilerServices.CallerFilePath] string path = "") =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(path)!, "..", ".."));

    static string SchemaPath(string exchange) => Path.Combine(Repository(), "docs", "schemas", $"{exchange}.schema.json");

    static string GoldenPath(string exchange) =>
        Path.Combine(TestContext.CurrentContext.TestDirectory, "Golden", $"{exchange}.json");

    static IEnumerable<string> ExchangeNames() => Exchanges.ContractTypes.Select(t => Exchanges.NameOf(t)!);

    // Loaded once per process: the validator registers each schema by its $id.
    static readonly System.Collections.Concurrent.ConcurrentDictionary<string, JsonSchema> Loaded = new();

    static JsonSchema Load(string exchange) => Loaded.GetOrAdd(exchange, e => JsonSchema.FromText(File.ReadAllText(SchemaPath(e))));

    static EvaluationResults Evaluate(JsonSchema schema, JsonNode? body) =>
        schema.Evaluate(JsonSerializer.SerializeToElement(body), new EvaluationOptions { OutputFormat = OutputFormat.List, RequireFormatValidation = true });

    [TestCaseSource(nameof(ExchangeNames))]
    public void The_committed_schema_is_the_generated_one(string exchange)
    {
        var generated = ContractSchemas.ToFileText(ContractSchemas.For(Exchanges.ContractTypes.Single(t => Exchanges.NameOf(t) == exchange)));
        if (Environment.GetEnvironmentVariable("NEURALTRADE_UPDATE_GOLDEN") == "1")
        {
            Directory.CreateDirectory(Path.GetDirectoryName(SchemaPath(exchange))!);
            File.WriteAllText(SchemaPath(exchange), generated);
            Assert.Ignore($"rewrote {SchemaPath(exchange)}");
        }

        Assert.That(File.Exists(SchemaPath(exchange)), Is.True, $"no docs/schemas/{exchange}.schema.json; run with NEURALTRADE_UPDATE_GOLDEN=1 once");
        Assert.That(JsonNode.DeepEquals(JsonNode.Parse(File.ReadAllText(SchemaPath(exchange))), JsonNode.Parse(generated)), Is.True,
            $"the contract of {exchange} changed: regenerate docs/schemas with NEURALTRADE_UPDATE_GOLDEN=1 and follow the versioning rules");
    }

    [TestCaseSource(nameof(ExchangeNames))]
    public void The_golden_body_validates_against_its_schema(string exchange)
    {
        var result = Evaluate(Load(exchange), JsonNode.Parse(File.ReadAllText(GoldenPath(exchange))));
        Assert.That(result.IsValid, Is.True, string.Join("; ", (result.Details ?? []).Where(d => d.Errors is { Count: > 0 })
            .SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Value}"))));
    }

    [Test]
    public void A_body_that_breaks_the_contract_does_not_validate()
    {
        var schema = Load(Exchanges.MarketCandles);
        var golden = JsonNode.Parse(File.ReadAllText(GoldenPath(Exchanges.MarketCandles)))!;
        var missing = golden.DeepClone();
        missing["candles"]![0]!.AsObject().Remove("close");
        var text = golden.DeepClone();
        text["candles"]![0]!["open"] = "42000.5";
        var badTime = golden.DeepClone();
        badTime["candles"]![0]!["openTime"] = "yesterday";
        var badInterval = golden.DeepClone();
        badInterval["candles"]![0]!["interval"] = "7m";
        Assert.Multiple(() =>
        {
            Assert.That(Evaluate(schema, missing).IsValid, Is.False, "a candle without its close");
            Assert.That(Evaluate(schema, text).IsValid, Is.False, "a price as a string");
            Assert.That(Evaluate(schema, badTime).IsValid, Is.False, "a timestamp that is not RFC 3339");
            Assert.That(Evaluate(schema, badInterval).IsValid, Is.False, "an interval the contract does not know");
            Assert.That(Evaluate(schema, new JsonObject()).IsValid, Is.False, "no candles at all");
        });
    }

    [Test]
    public void The_schemas_intervals_are_the_fleets()
    {
        Assert.That(ContractSchemas.IntervalNames, Is.EqualTo(Intervals.Names));
    }
}
