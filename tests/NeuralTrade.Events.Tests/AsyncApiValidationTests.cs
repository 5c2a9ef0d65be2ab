using System.Text.Json.Nodes;

namespace NeuralTrade.Events.Tests;

/// <summary>
/// docs/asyncapi.yaml passes @asyncapi/parser (the AsyncAPI initiative's own parser, with its default Spectral ruleset)
/// and every example its payload schema (tests/asyncapi/validate.mjs), and documents broken on purpose do not. Needs
/// Node.js 18.18 or later and npm: the first test installs tests/asyncapi's locked packages (<c>npm ci</c>) when they
/// are missing or older than its package-lock.json.
/// </summary>
[Category("Node")]
public sealed class AsyncApiValidationTests
{
    static readonly NodeProject Project = new(Path.Combine(AsyncApiTests.Repository(), "tests", "asyncapi"));

    [Test]
    public async Task The_committed_document_is_valid_and_its_examples_fit_their_schemas()
    {
        var (exit, output) = await Validate(AsyncApiTests.DocumentPath);
        Assert.That(exit, Is.EqualTo(0), output);
        Assert.That(output, Does.Contain(": parsed; 0 error(s)"));
    }

    static IEnumerable<TestCaseData> Breakages()
    {
        yield return new TestCaseData((Action<JsonObject>)(d =>
                d["components"]!["messages"]!["MarketCandles"]!["examples"]![0]!["payload"]!["candles"]![0]!["open"] = "42150.5"),
            "breaks its payload schema: /candles/0/open must be number")
            .SetName("An example whose price is a string");
        yield return new TestCaseData((Action<JsonObject>)(d =>
                d["components"]!["messages"]!["DataIngested"]!["examples"]![0]!["payload"]!.AsObject().Remove("lastOpenTime")),
            "must have required property 'lastOpenTime'")
            .SetName("An example without a required member");
        yield return new TestCaseData((Action<JsonObject>)(d =>
                d["operations"]!["feed.send.market.candles"]!["channel"]!["$ref"] = "#/channels/market.candle"),
            "'#/channels/market.candle' does not exist")
            .SetName("An operation on a channel that does not exist");
        yield return new TestCaseData((Action<JsonObject>)(d =>
                d["operations"]!["feed.send.market.candles"]!["channel"]!["$ref"] = "#/channels/data.rejected"),
            "asyncapi3-operation-messages-from-referred-channel")
            .SetName("An operation whose message is not on its channel");
        yield return new TestCaseData((Action<JsonObject>)(d =>
                d["channels"]!["market.candles"]!["bindings"]!["amqp"]!["exchange"]!["type"] = "broadcast"),
            "must be equal to one of the allowed values")
            .SetName("An exchange type AMQP does not have");
    }

    [TestCaseSource(nameof(Breakages))]
    public async Task A_broken_document_fails_validation(Action<JsonObject> breakIt, string expected)
    {
        ArgumentNullException.ThrowIfNull(breakIt);
        var document = AsyncApiTests.Document();
        breakIt(document);
        var directory = Directory.CreateTempSubdirectory("neuraltrade-asyncapi-");
        try
        {
            // Beside its schemas, as docs/asyncapi.yaml is: the payloads refer to schemas/<exchange>.schema.json.
            var schemas = Directory.CreateDirectory(Path.Combine(directory.FullName, "schemas"));
            foreach (var file in Directory.GetFiles(Path.Combine(AsyncApiTests.Repository(), "docs", "schemas")))
                File.Copy(file, Path.Combine(schemas.FullName, Path.GetFileName(file)));
            var path = Path.Combine(directory.FullName, "asyncapi.yaml");
            await File.WriteAllTextAsync(path, AsyncApiGenerator.ToYaml(document));
            var (exit, output) = await Validate(path);
            Assert.That(exit, Is.EqualTo(1), output);
            Assert.That(output, Does.Contain(expected).And.Contain(" error "), output);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    /// <summary>Runs tests/asyncapi/validate.mjs on a document; its exit code and everything it printed.</summary>
    static Task<(int Exit, string Output)> Validate(string document) => Project.NodeAsync("validate.mjs", document);
}
