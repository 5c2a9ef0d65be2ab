using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;
using NeuralTrade.Events.Tracking;

namespace NeuralTrade.Events.Tests;

/// <summary>
/// The local run store with several writers: the training that owns a run, the Registry recording its decision on it, a
/// later attempt ending it as abandoned. Each write changes run.json as it is on disk, so none loses another's change,
/// and a damaged run directory never fails the writer (best effort, logged).
/// </summary>
public sealed class LocalRunStoreTests
{
    DirectoryInfo _root = null!;
    RunTracker _tracker = null!;

    [SetUp]
    public void Create()
    {
        _root = Directory.CreateTempSubdirectory("nt-runs-");
        _tracker = new RunTracker(new TrackingOptions { LocalDirectory = _root.FullName }, null, TimeProvider.System, NullLogger<RunTracker>.Instance);
    }

    [TearDown]
    public void Delete() => _root.Delete(recursive: true);

    static JsonNode RunJson(TrackedRun run) => JsonNode.Parse(File.ReadAllText(Path.Combine(run.LocalPath, "run.json")))!;

    [Test]
    public async Task The_owners_later_writes_keep_what_another_writer_recorded_on_the_run()
    {
        var run = await _tracker.StartRunAsync("m", "r", new Dictionary<string, string> { ["owner"] = "training" });

        await _tracker.RecordOnRunAsync("m", run.RunId, inMlflow: false, new Dictionary<string, double> { ["gate_macro_f1"] = 0.5 },
            new Dictionary<string, string> { ["neuraltrade.gate.decision"] = "promoted" }, "neuraltrade.gate.decision");
        await run.SetTagsAsync(new Dictionary<string, string> { ["mlflow.note.content"] = "description" });
        await run.EndAsync(succeeded: true);

        var tags = RunJson(run)["tags"]!;
        Assert.That(tags["neuraltrade.gate.decision"]!.GetValue<string>(), Is.EqualTo("promoted"), "the owner's stale copy did not overwrite it");
        Assert.That(tags["mlflow.note.content"]!.GetValue<string>(), Is.EqualTo("description"));
        Assert.That(tags["owner"]!.GetValue<string>(), Is.EqualTo("training"));
        Assert.That(RunJson(run)["status"]!.GetValue<string>(), Is.EqualTo("FINISHED"));
    }

    [Test]
    public async Task Concurrent_writers_to_one_run_lose_nothing()
    {
        var run = await _tracker.StartRunAsync("m", "r", new Dictionary<string, string>());

        await Task.WhenAll(Enumerable.Range(0, 24).Select(i => Task.Run(() => _tracker.RecordOnRunAsync("m", run.RunId, false,
            new Dictionary<string, double>(), new Dictionary<string, string> { [$"writer.{i}"] = $"{i}" }, $"writer.{i}"))));

        var tags = RunJson(run)["tags"]!.AsObject();
        Assert.That(Enumerable.Range(0, 24).Select(i => tags[$"writer.{i}"]?.GetValue<string>()), Is.EqualTo(Enumerable.Range(0, 24).Select(i => $"{i}")));
        Assert.That(Directory.GetFiles(run.LocalPath, "*.tmp"), Is.Empty, "no temporary file left behind");
    }

    [Test]
    public async Task A_decision_recorded_twice_appends_its_figures_once()
    {
        var run = await _tracker.StartRunAsync("m", "r", new Dictionary<string, string>());
        await run.EndAsync(succeeded: true);
        for (var i = 0; i < 2; i++) // the Registry's decision redelivered
            await _tracker.RecordOnRunAsync("m", run.RunId, false, new Dictionary<string, double> { ["gate_macro_f1"] = 0.5 },
                new Dictionary<string, string> { ["neuraltrade.gate.decision"] = "rejected" }, "neuraltrade.gate.decision");

        var lines = await File.ReadAllLinesAsync(Path.Combine(run.LocalPath, "metrics.jsonl"));
        Assert.That(lines.Count(l => l.Contains("gate_macro_f1", StringComparison.Ordinal)), Is.EqualTo(1));
    }

    [Test]
    public async Task A_damaged_run_directory_fails_no_writer()
    {
        var run = await _tracker.StartRunAsync("m", "r", new Dictionary<string, string>());
        await File.WriteAllTextAsync(Path.Combine(run.LocalPath, "run.json"), "{ not json");

        Assert.DoesNotThrowAsync(() => _tracker.RecordOnRunAsync("m", run.RunId, false, new Dictionary<string, double> { ["gate_macro_f1"] = 0.5 },
            new Dictionary<string, string> { ["neuraltrade.gate.decision"] = "promoted" }, "neuraltrade.gate.decision"));
        Assert.DoesNotThrowAsync(() => _tracker.EndAbandonedAsync("m", run.RunId, "taken over"));
        Assert.DoesNotThrowAsync(() => _tracker.RecordOnRunAsync("m", "no-such-run", false, new Dictionary<string, double>(),
            new Dictionary<string, string>(), "x"));
    }

    [Test]
    public async Task An_abandoned_run_ends_killed_with_the_reason_and_an_ended_one_is_left_alone()
    {
        var abandoned = await _tracker.StartRunAsync("m", "a", new Dictionary<string, string>());
        var finished = await _tracker.StartRunAsync("m", "f", new Dictionary<string, string>());
        await finished.EndAsync(succeeded: true);

        await _tracker.EndAbandonedAsync("m", abandoned.RunId, "attempt 1 did not finish");
        await _tracker.EndAbandonedAsync("m", finished.RunId, "late");

        Assert.That(RunJson(abandoned)["status"]!.GetValue<string>(), Is.EqualTo("KILLED"));
        Assert.That(RunJson(abandoned)["tags"]!["neuraltrade.abandoned"]!.GetValue<string>(), Is.EqualTo("attempt 1 did not finish"));
        Assert.That(RunJson(finished)["status"]!.GetValue<string>(), Is.EqualTo("FINISHED"));
    }
}
