using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using NeuralTrade.Events.Contracts;
using NeuralTrade.Events.Modeling;
using NeuralTrade.Events.Testing;
using NeuralTrade.Events.Tracking;
using NeuralTrade.Events.Workers.Training;

namespace NeuralTrade.Events.Tests;

/// <summary>What a training run leaves beside its model: the walk-forward option, the calibration, the plots and the description.</summary>
public sealed class TrainingReportTests
{
    [TestCase(0, true)]
    [TestCase(2, true)]
    [TestCase(20, true)]
    [TestCase(1, false)]
    [TestCase(21, false)]
    [TestCase(-1, false)]
    public void Walk_forward_folds_are_off_by_default_else_two_to_twenty(int folds, bool valid)
    {
        var hp = Hyperparameters.Apply(new Dictionary<string, JsonElement> { ["walkForwardFolds"] = JsonSerializer.SerializeToElement(folds) },
            out var problems);

        Assert.That(new Hyperparameters().WalkForwardFolds, Is.Zero);
        Assert.That(hp.WalkForwardFolds, Is.EqualTo(folds));
        Assert.That(hp.ToDictionary()["walkForwardFolds"], Is.EqualTo(folds.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        if (valid)
            Assert.That(problems, Is.Empty);
        else
            Assert.That(problems, Is.EqualTo(new[] { $"walkForwardFolds {folds} must be 0 (no walk-forward) or 2 to 20" }));
    }

    [Test]
    [Category(TestCategories.Numerics)]
    public async Task A_plot_that_cannot_be_drawn_is_logged_and_the_others_and_the_calibration_are_still_stored()
    {
        var directory = Path.Combine(Path.GetTempPath(), $"nt-report-{Guid.NewGuid().ToString("N")[..8]}");
        try
        {
            var tracker = new RunTracker(new TrackingOptions { LocalDirectory = directory }, null, TimeProvider.System, NullLogger<RunTracker>.Instance);
            var run = await tracker.StartRunAsync("report-tests", "broken-plot", new Dictionary<string, string>());
            var outcome = TrainedModels.Outcome;
            var broken = outcome with { Test = outcome.Test with { ConfusionMatrix = [[1, 2], [3]] } };
            var logger = new ListLogger();

            await run.LogTrainingReportAsync(broken, logger, CancellationToken.None);

            var artifacts = Path.Combine(run.LocalPath, "artifacts");
            Assert.That(Directory.GetFiles(Path.Combine(artifacts, "plots")).Select(Path.GetFileName).Order(),
                Is.EqualTo(new[] { "equity_curves.png", "learning_curves.png", "reliability.png" }));
            Assert.That(logger.Warnings, Has.Count.EqualTo(1).And.Some.Contains("plots/confusion_matrix.png"));
            var calibration = JsonSerializer.Deserialize<CalibrationInfo>(await File.ReadAllBytesAsync(Path.Combine(artifacts, "calibration.json")),
                ContractJson.Options)!;
            Assert.That(calibration.Temperature, Is.EqualTo(outcome.Manifest.Calibration!.Temperature));
        }
        finally
        {
            if (Directory.Exists(directory))
                Directory.Delete(directory, recursive: true);
        }
    }

    [Test]
    [Category(TestCategories.Numerics)]
    public void The_description_names_the_series_reason_recipe_seeds_and_temperature()
    {
        var outcome = TrainedModels.Outcome;
        var request = new TrainingRequested
        {
            RequestId = Guid.NewGuid(), Exchange = "sim", Symbol = "PLANT/USD", Interval = "1m", Reason = "drift on close returns",
        };

        var note = TrainingTracking.Note(request, TrainedModels.Series, TrainedModels.Tiny, outcome, walkForward: null);

        Assert.That(note, Does.Contain("**sim:PLANT/USD:1m**").And.Contain("drift on close returns"));
        Assert.That(note, Does.Contain($"LSTM {TrainedModels.Tiny.NumLayers} × {TrainedModels.Tiny.HiddenSize}"));
        Assert.That(note, Does.Contain($"served seed {outcome.Manifest.Training.Seed}"));
        Assert.That(note, Does.Contain("Calibration: temperature "));
        Assert.That(note.Length, Is.LessThan(8000), "an MLflow run tag value holds at most 8000 characters");
    }

    [Test]
    public void Work_whose_token_is_cancelled_before_its_thread_starts_ends_cancelled_rather_than_waiting()
    {
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        var ran = false;

        var run = TrainingThread.RunAsync<string, int>(_ =>
        {
            ran = true;
            return 1;
        }, _ => Task.CompletedTask, cancelled.Token);

        Assert.That(() => run.Wait(TimeSpan.FromSeconds(10)), Throws.InstanceOf<AggregateException>()
            .With.InnerException.InstanceOf<OperationCanceledException>());
        Assert.That(ran, Is.False);
    }

    [Test]
    public async Task Work_reports_its_progress_in_order_and_returns_its_result()
    {
        var seen = new List<string>();

        var result = await TrainingThread.RunAsync<string, int>(progress =>
        {
            progress("fold 1");
            progress("fold 2");
            return 42;
        }, line =>
        {
            seen.Add(line);
            return Task.CompletedTask;
        }, CancellationToken.None);

        Assert.That(result, Is.EqualTo(42));
        Assert.That(seen, Is.EqualTo(new[] { "fold 1", "fold 2" }));
    }

    sealed class ListLogger : ILogger
    {
        public List<string> Warnings { get; } = [];

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (logLevel == LogLevel.Warning)
                Warnings.Add(formatter(state, exception));
        }
    }
}
