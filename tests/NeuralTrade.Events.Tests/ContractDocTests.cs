using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using NeuralTrade.Events.Contracts;

namespace NeuralTrade.Events.Tests;

/// <summary>
/// docs/contract.md, the page feeds and trading services read, says what the code does: its exchange table lists
/// exactly the public exchanges (those of the AsyncAPI document), each row names every top-level member of its message's
/// JSON Schema and no member the schema lacks, and each example is its golden file.
/// </summary>
public sealed partial class ContractDocTests
{
    static readonly string Page = File.ReadAllText(Path.Combine(AsyncApiTests.Repository(), "docs", "contract.md")).ReplaceLineEndings("\n");

    /// <summary>The members every body carries, which the page names once under Conventions rather than in each row.</summary>
    static readonly string[] Envelope = ["eventId", "occurredAt", "correlationId", "schemaVersion"];

    /// <summary>The rows of the table under "Exchanges and bodies": exchange → the body cell.</summary>
    static Dictionary<string, string> Rows()
    {
        var section = Section("Exchanges and bodies");
        return TableRow().Matches(section).ToDictionary(m => m.Groups["exchange"].Value, m => m.Groups["body"].Value, StringComparer.Ordinal);
    }

    static string Section(string heading)
    {
        var start = Page.IndexOf($"\n## {heading}\n", StringComparison.Ordinal);
        Assert.That(start, Is.GreaterThanOrEqualTo(0), $"docs/contract.md has a section \"{heading}\"");
        var end = Page.IndexOf("\n## ", start + 1, StringComparison.Ordinal);
        return end < 0 ? Page[start..] : Page[start..end];
    }

    [GeneratedRegex(@"^\| `(?<exchange>[a-z][a-z.-]*)` \| [^|]+ \| (?<body>.+) \|$", RegexOptions.Multiline)]
    private static partial Regex TableRow();

    /// <summary>The top-level member names of the first <c>{…}</c> in a body cell: <c>{a, b?, c:{x, y}, d:[…]}</c> → a, b, c, d.</summary>
    static List<string> Members(string body)
    {
        var start = body.IndexOf('{', StringComparison.Ordinal);
        Assert.That(start, Is.GreaterThanOrEqualTo(0), $"a body {{…}} in: {body}");
        var names = new List<string>();
        var depth = 0;
        var expectName = false;
        for (var i = start; i < body.Length; i++)
        {
            var c = body[i];
            if (c is '{' or '[')
            {
                depth++;
                expectName = depth == 1;
                continue;
            }

            if (c is '}' or ']')
            {
                if (--depth == 0)
                    break;
                continue;
            }

            if (depth == 1 && c == ',')
            {
                expectName = true;
                continue;
            }

            if (depth == 1 && expectName && char.IsLetter(c))
            {
                var end = i;
                while (end < body.Length && char.IsLetterOrDigit(body[end]))
                    end++;
                names.Add(body[i..end]);
                i = end - 1;
                expectName = false;
            }
        }

        return names;
    }

    static IEnumerable<string> PublicExchanges() => Exchanges.ContractTypes.Select(t => Exchanges.NameOf(t)!);

    [Test]
    public void The_exchange_table_lists_exactly_the_public_exchanges_of_the_asyncapi_document()
    {
        var channels = AsyncApiTests.Document()["channels"]!.AsObject()
            .Where(c => (string?)c.Value!["bindings"]!["amqp"]!["is"] == "routingKey").Select(c => (string)c.Value!["address"]!);
        Assert.Multiple(() =>
        {
            Assert.That(Rows().Keys, Is.EquivalentTo(channels));
            Assert.That(Rows().Keys, Is.EquivalentTo(AsyncApiTests.PublicExchanges()));
        });
    }

    [Test]
    public void A_by_series_rows_body_is_its_source_exchanges()
    {
        foreach (var (source, bySeries) in Exchanges.BySeries)
        {
            Assert.That(Rows().TryGetValue(bySeries, out var body), Is.True, $"docs/contract.md has a row for {bySeries}");
            Assert.That(body, Does.Contain($"the same bodies as `{source}`"));
            foreach (var header in new[] { Exchanges.SeriesHeaders.Exchange, Exchanges.SeriesHeaders.Symbol, Exchanges.SeriesHeaders.Interval })
                Assert.That(body, Does.Contain($"`{header}`"), $"the row names the header {header}");
        }
    }

    [TestCaseSource(nameof(PublicExchanges))]
    public void A_rows_body_names_exactly_the_members_of_its_schema(string exchange)
    {
        var schema = ContractSchemas.For(Exchanges.ContractTypes.Single(t => Exchanges.NameOf(t) == exchange));
        var properties = schema["properties"]!.AsObject().Select(p => p.Key).Except(Envelope).ToList();
        Assert.That(Rows().TryGetValue(exchange, out var body), Is.True, $"docs/contract.md has a row for {exchange}");
        var named = Members(body!);
        Assert.Multiple(() =>
        {
            Assert.That(properties.Except(named), Is.Empty, $"members of {exchange} the page does not name");
            Assert.That(named.Except(properties), Is.Empty, $"members the page names that {exchange} does not have");
        });
    }

    [GeneratedRegex("^`(?<exchange>[a-z][a-z.-]*)`\n```json\n(?<body>[^\n]*)\n```$", RegexOptions.Multiline)]
    private static partial Regex ExampleBlock();

    [TestCaseSource(nameof(PublicExchanges))]
    public void The_pages_example_is_the_golden_body(string exchange)
    {
        var examples = ExampleBlock().Matches(Section("Examples")).Where(m => m.Groups["exchange"].Value == exchange).ToList();
        Assert.That(examples, Has.Count.EqualTo(1), $"one example headed `{exchange}` under Examples");
        // The golden file on one line: the same members in the same order, numbers and strings as written.
        var golden = JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Golden", $"{exchange}.json")))!
            .ToJsonString(new JsonSerializerOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        Assert.That(examples[0].Groups["body"].Value, Is.EqualTo(golden),
            "the page's example is the golden file on one line (NEURALTRADE_UPDATE_GOLDEN=1 rewrites the files, not the page)");
    }

    [Test]
    public void The_member_reader_reads_nested_and_optional_members()
    {
        Assert.That(Members("one per series: `{exchange, candles:[accepted, ascending], gaps?:[{after, before}, ...], model?:{name, version}}`; x, y"),
            Is.EqualTo(new[] { "exchange", "candles", "gaps", "model" }));
    }
}
