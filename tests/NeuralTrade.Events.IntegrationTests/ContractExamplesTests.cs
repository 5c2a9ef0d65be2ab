using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using NeuralTrade.Events.Contracts;
using NeuralTrade.Events.MarketData;
using NeuralTrade.Events.Testing;
using NeuralTrade.Events.Workers.Inference;
using NeuralTrade.Events.Workers.Ingest;

namespace NeuralTrade.Events.IntegrationTests;

/// <summary>
/// The Python examples of docs/contract.md, run as they stand there (pika, from Debian's python3-pika), logged in as
/// the <c>feed</c> and <c>trading</c> users of the shipped definitions, against the real Ingest and Inference.
/// </summary>
public sealed partial class ContractExamplesTests : DefinitionsBrokerTest
{
    static readonly string ContractPath = Path.Combine(AppContext.BaseDirectory, "docs", "contract.md");

    [GeneratedRegex(@"```python\n(?<code>.*?)```", RegexOptions.Singleline)]
    private static partial Regex PythonBlock();

    /// <summary>The example whose first line is <c># NAME.py …</c>.</summary>
    static string Example(string name)
    {
        var blocks = PythonBlock().Matches(File.ReadAllText(ContractPath)).Select(m => m.Groups["code"].Value).ToList();
        return blocks.SingleOrDefault(b => b.StartsWith($"# {name}.py", StringComparison.Ordinal))
            ?? throw new AssertionException($"docs/contract.md has no python example starting '# {name}.py' (found {blocks.Count})");
    }

    [Test]
    public async Task The_feed_example_publishes_as_feed_and_hears_what_Ingest_refused()
    {
        await StartHostAsync(b => b.AddIngestWorker(), new Dictionary<string, string?> { ["Messaging:RabbitMqUrl"] = UrlOf("ingest"), ["Redis:Url"] = RedisUrlOf("ingest") });

        var (code, output) = await RunPythonAsync("feed", "feed");

        Assert.That(code, Is.Zero, output);
        Assert.That(output, Does.Contain("candle 1 refused: ohlc_inconsistent"), "the refusal, with its reason, reached the feed");
        var series = new SeriesKey("binance", "BTC/USDT", "1m");
        var stored = await CandleStore.GetRangeAsync(series);
        Assert.That(stored.Select(c => (c.OpenTime, c.Close)), Is.EqualTo(new[] { (DateTimeOffset.Parse("2024-01-15T10:30:00Z"), 42250.75m) }),
            "the valid candle is stored, the refused one is not");
    }

    [Test]
    public async Task The_trading_example_asks_as_trading_and_gets_the_champions_signal()
    {
        await CandleStore.AppendAsync(TrainedModels.Series, TrainedModels.Market, null);
        await StartHostAsync(b => b.AddInferenceWorker(), new Dictionary<string, string?>
        {
            ["Messaging:RabbitMqUrl"] = UrlOf("inference"), ["Redis:Url"] = RedisUrlOf("inference"), ["Tracking:LocalDirectory"] = ScratchDirectory, ["Inference:InstanceId"] = "examples",
        });
        var series = TrainedModels.Series;
        string[] arguments = [series.Exchange, series.Symbol, series.Interval];

        // No champion yet: the example reports Inference's refusal and exits non-zero.
        var (noModel, refused) = await RunPythonAsync("trading", "trading", arguments);
        Assert.That((noModel, refused.Contains("prediction.failed no_model", StringComparison.Ordinal)), Is.EqualTo((1, true)), refused);

        // The Registry's record names a champion, and its announcement reaches Inference.
        var champion = await RegisterTrainedModelAsync("run-1", champion: true);
        await Amqp.PublishAsync(Exchanges.ModelDeployed, JsonSerializer.Serialize(new ModelDeployed
        {
            ModelName = champion.ModelName, Version = champion.Version, RunId = champion.RunId, Artifact = champion.Artifact, Metrics = champion.Metrics,
        }, ContractJson.Options));
        var (code, answer) = (1, "");
        for (var attempt = 0; attempt < 20 && code != 0; attempt++)
        {
            (code, answer) = await RunPythonAsync("trading", "trading", arguments);
            if (code != 0)
                await Task.Delay(250);
        }

        Assert.That(code, Is.Zero, answer);
        Assert.That(answer, Does.Match(@"^(buy|hold|sell) 0\.\d\d risk (low|medium|high)")
            .And.Contain($"{TrainedModels.ModelName} v1").And.Contain(TrainedModels.Market[^1].OpenTime.ToString("yyyy-MM-dd'T'HH:mm:ss")));
    }

    [Test]
    public async Task The_subscriber_example_receives_its_series_and_nothing_else()
    {
        await CandleStore.AppendAsync(TrainedModels.Series, TrainedModels.Market, null);
        await RegisterTrainedModelAsync("run-1", champion: true);
        await StartHostAsync(b => b.AddInferenceWorker(), new Dictionary<string, string?>
        {
            ["Messaging:RabbitMqUrl"] = UrlOf("inference"), ["Redis:Url"] = RedisUrlOf("inference"), ["Tracking:LocalDirectory"] = ScratchDirectory, ["Inference:InstanceId"] = "examples",
        });
        var series = TrainedModels.Series;
        const int Wanted = 3;
        var everything = await Amqp.TapAsync(Exchanges.PredictionCompleted);
        using var subscriber = await StartPythonAsync("subscriber", "trading", series.Exchange, series.Symbol, series.Interval, Wanted.ToString(CultureInfo.InvariantCulture));
        await subscriber.WaitForLineAsync(l => l.StartsWith("subscribed to ", StringComparison.Ordinal), TimeSpan.FromSeconds(30));

        // Another series on the same fanout first (published as the fleet would, with its series headers): not for this subscriber.
        var other = JsonSerializer.Serialize(new PredictionCompleted
        {
            Exchange = series.Exchange, Symbol = "OTHER/USD", Interval = series.Interval, AsOf = TrainedModels.Market[^1].OpenTime, Signal = Signal.Hold,
            Confidence = 0.5, Probabilities = new SignalProbabilities(0.25, 0.5, 0.25), Risk = new RiskAssessment(1, RiskLevel.Low, [], "stay flat"),
            Model = new ModelRef("signal-other", 1), LatencyMs = 1,
        }, ContractJson.Options);
        var otherHeaders = new Dictionary<string, object?>
        {
            [Exchanges.SeriesHeaders.Exchange] = series.Exchange, [Exchanges.SeriesHeaders.Symbol] = "OTHER/USD", [Exchanges.SeriesHeaders.Interval] = series.Interval,
        };
        for (var i = 0; i < 2; i++)
            await Amqp.PublishAsync(Exchanges.PredictionCompleted, other, headers: otherHeaders);
        var requestIds = Enumerable.Range(0, Wanted).Select(_ => Guid.NewGuid()).ToList();
        foreach (var id in requestIds)
            await Amqp.PublishAsync(Exchanges.PredictionRequested,
                $$"""{"requestId":"{{id}}","correlationId":"{{id}}","exchange":"{{series.Exchange}}","symbol":"{{series.Symbol}}","interval":"{{series.Interval}}"}""");

        var (code, output) = await subscriber.WaitForExitAsync(TimeSpan.FromSeconds(60));
        Assert.That(code, Is.Zero, output);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => !l.StartsWith("subscribed to ", StringComparison.Ordinal)).ToList();
        Assert.That(lines, Has.Count.EqualTo(Wanted).And.All.StartsWith($"{series.Exchange}:{series.Symbol}:{series.Interval} "), output);
        Assert.That(lines, Has.All.Contain($"{TrainedModels.ModelName} v1"));
        await everything.WaitForCountAsync(Wanted + 2, TimeSpan.FromSeconds(10)); // the fanout had both series
    }

    /// <summary>A running example: what it printed, standard output before standard error, line by line.</summary>
    sealed class PythonProcess(Process process, string name, string python) : IDisposable
    {
        static readonly Func<StreamReader, System.Collections.Concurrent.ConcurrentQueue<string>, Task> Pump = (reader, lines) => Task.Run(async () =>
        {
            while (await reader.ReadLineAsync() is { } line)
                lines.Enqueue(line);
        });

        readonly System.Collections.Concurrent.ConcurrentQueue<string> _stdout = new(), _stderr = new();
        Task? _pump;

        public PythonProcess Started()
        {
            _pump = Task.WhenAll(Pump(process.StandardOutput, _stdout), Pump(process.StandardError, _stderr));
            return this;
        }

        string Output => string.Join('\n', _stdout.Concat(_stderr));

        public async Task WaitForLineAsync(Func<string, bool> condition, TimeSpan timeout)
        {
            var until = DateTime.UtcNow + timeout;
            while (!_stdout.Any(condition))
            {
                if (process.HasExited || DateTime.UtcNow > until)
                    Assert.Fail($"{name}.py did not print the expected line (exit: {(process.HasExited ? process.ExitCode : "running")}):\n{Output}");
                await Task.Delay(50);
            }
        }

        public async Task<(int Code, string Output)> WaitForExitAsync(TimeSpan timeout)
        {
            using var cancel = new CancellationTokenSource(timeout);
            await process.WaitForExitAsync(cancel.Token);
            await _pump!;
            TestContext.Out.WriteLine($"$ {name}.py → {process.ExitCode}\n{Output}");
            if (Output.Contains("No module named 'pika'", StringComparison.Ordinal))
                Assert.Fail($"{python} has no pika: `bash deploy/services.sh install` installs Debian's python3-pika");
            return (process.ExitCode, Output);
        }

        public void Dispose()
        {
            if (!process.HasExited)
                process.Kill(entireProcessTree: true);
            process.Dispose();
        }
    }

    /// <summary>Starts an example with Debian's python3 as <paramref name="user"/>.</summary>
    async Task<PythonProcess> StartPythonAsync(string example, string user, params string[] arguments)
    {
        var python = File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
        var script = Path.Combine(ScratchDirectory, example + ".py");
        Directory.CreateDirectory(ScratchDirectory);
        await File.WriteAllTextAsync(script, Example(example));
        var start = new ProcessStartInfo(python) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(script);
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        start.Environment["RABBITMQ_URL"] = UrlOf(user);
        return new PythonProcess(Process.Start(start)!, example, python).Started();
    }

    /// <summary>Runs an example with Debian's python3 as <paramref name="user"/>; its exit code and everything it printed.</summary>
    async Task<(int Code, string Output)> RunPythonAsync(string example, string user, params string[] arguments)
    {
        using var process = await StartPythonAsync(example, user, arguments);
        return await process.WaitForExitAsync(TimeSpan.FromSeconds(60));
    }
}
