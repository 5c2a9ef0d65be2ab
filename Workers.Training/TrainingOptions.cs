using System.ComponentModel.DataAnnotations;

namespace NeuralTrade.Events.Workers.Training;

public sealed class TrainingOptions
{
    public const string SectionName = "Training";

    /// <summary>How long a claimed job stays this worker's without a heartbeat; a dead worker's job is taken over after it.</summary>
    [Range(5, 3600)]
    public int LeaseSeconds { get; set; } = 60;

    [Range(1, 600)]
    public int HeartbeatSeconds { get; set; } = 10;

    /// <summary>Attempts (including ones lost to crashes) before a job is given up with training.failed.</summary>
    [Range(1, 20)]
    public int MaxAttempts { get; set; } = 3;

    [Range(0, 3600)]
    public int RetryDelaySeconds { get; set; } = 30;

    [Range(50, 60_000)]
    public int PollIntervalMs { get; set; } = 1_000;

    /// <summary>Jobs one worker runs at a time (one per accelerator).</summary>
    [Range(1, 16)]
    public int ConcurrentJobs { get; set; } = 1;

    /// <summary>Most candles one request may train on; a larger range is refused before any is read (narrow it with from/to).</summary>
    [Range(100, 100_000_000)]
    public long MaxCandles { get; set; } = 2_000_000;

    /// <summary>
    /// Most estimated floating-point operations one request may cost (<see cref="Modeling.TrainingBudget.EstimatedFlops"/>):
    /// 5·10¹⁵ by default, ten times the default recipe on 50,000 candles. Raise it for a GPU trainer.
    /// </summary>
    [Range(1e9, 1e22)]
    public double MaxTrainingFlops { get; set; } = 5e15;

    /// <summary>
    /// Most estimated floating-point operations one hyperparameter search may cost, all its trials together (each trial
    /// one seed, its whole budget of epochs: early stopping only ever saves): 2·10¹⁶ by default, four times a request's.
    /// </summary>
    [Range(1e9, 1e23)]
    public double MaxSearchFlops { get; set; } = 2e16;

    /// <summary>
    /// How often a search waiting for its trials is checked (by any worker): trials without a job are published again
    /// (a trial message that was dead-lettered), a trial job that failed without an outcome is recorded failed, and a
    /// search whose trials have all ended is finished, whatever crashed in between.
    /// </summary>
    [Range(5, 86_400)]
    public int SearchCheckSeconds { get; set; } = 120;
}
