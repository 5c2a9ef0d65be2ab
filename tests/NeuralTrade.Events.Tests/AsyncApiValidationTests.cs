using System.Diagnostics;
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
    static readonly string Project = Path.Combine(AsyncApiTests.Repository(), "tests", "asyncapi");
    static readonly SemaphoreSlim Installing = new(1, 1);
    const string Install = "`bash deploy/services.sh install` installs Debian's nodejs and npm";

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
    static async Task<(int Exit, string Output)> Validate(string document)
    {
        await EnsureInstalled();
        var (exit, output) = await Run("node", [Path.Combine(Project, "validate.mjs"), document], TimeSpan.FromMinutes(2));
        await TestContext.Out.WriteLineAsync($"$ node validate.mjs {document} → {exit}\n{output}");
        return (exit, output);
    }

    /// <summary>Node 18.18 or later and npm are there, and node_modules holds exactly what package-lock.json locks.</summary>
    static async Task EnsureInstalled()
    {
        await Installing.WaitAsync();
        try
        {
            var (_, version) = await Run("node", ["--version"], TimeSpan.FromSeconds(30));
            if (!Version.TryParse(version.Trim().TrimStart('v'), out var node) || node < new Version(18, 18))
                Assert.Fail($"@asyncapi/parser needs Node.js 18.18 or later; this node is {version.Trim()}: {Install}");
            var installed = Path.Combine(Project, "node_modules", ".package-lock.json");
            if (File.Exists(installed) && File.GetLastWriteTimeUtc(installed) >= File.GetLastWriteTimeUtc(Path.Combine(Project, "package-lock.json")))
                return;
            // --ignore-scripts: nothing the packages ship runs at install (one of them would report the install to its vendor).
            var (exit, output) = await Run("npm", ["ci", "--ignore-scripts", "--no-audit", "--no-fund"], TimeSpan.FromMinutes(10));
            Assert.That(exit, Is.EqualTo(0), $"npm ci in {Project} failed:\n{output}");
        }
        finally
        {
            Installing.Release();
        }
    }

    static async Task<(int Exit, string Output)> Run(string program, string[] arguments, TimeSpan timeout)
    {
        var start = new ProcessStartInfo(program, arguments)
        {
            WorkingDirectory = Project,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            Assert.Fail($"{program} is not installed ({e.Message}): {Install}");
            throw;
        }

        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            using var cancel = new CancellationTokenSource(timeout);
            try
            {
                await process.WaitForExitAsync(cancel.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                Assert.Fail($"{program} {string.Join(' ', arguments)} did not finish within {timeout}");
            }

            return (process.ExitCode, (await stdout) + (await stderr));
        }
    }
}
