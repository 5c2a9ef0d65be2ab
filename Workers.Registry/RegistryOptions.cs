using System.ComponentModel.DataAnnotations;

namespace NeuralTrade.Events.Workers.Registry;

public sealed class RegistryOptions
{
    public const string SectionName = "Registry";

    /// <summary>The metric the gate compares with the baselines and the champion: <c>macro_f1</c> or <c>accuracy</c>.</summary>
    [Required]
    [AllowedValues("macro_f1", "accuracy")]
    public string Metric { get; set; } = "macro_f1";

    /// <summary>
    /// Confidence of the paired block-bootstrap interval of the metric difference whose lower bound must be above zero
    /// (against every baseline and the champion). 0 turns the intervals off and point estimates decide: only for tests
    /// of the registry's mechanics.
    /// </summary>
    [Range(0.0, 0.999)]
    public double Confidence { get; set; } = 0.95;

    /// <summary>Bootstrap resamples per comparison.</summary>
    [Range(100, 100_000)]
    public int Resamples { get; set; } = 1000;

    /// <summary>Block length of the bootstrap in samples; 0 chooses max(label horizon, ∛n) (neighbouring windows share candles and labels).</summary>
    [Range(0, 10_000)]
    public int BlockLength { get; set; }

    /// <summary>Seed of the bootstrap: the same candidate on the same data always gets the same decision.</summary>
    public int Seed { get; set; } = 20_240_601;

    /// <summary>Fewest labelled windows the gate decides on; fewer is refused as too little evidence.</summary>
    [Range(10, 1_000_000)]
    public int MinSamples { get; set; } = 100;

    /// <summary>
    /// Standard deviation of the metric across seeds assumed for a candidate trained with one seed, and the least assumed
    /// for one trained with several (which reports its own): the candidate's spread widens the interval against the
    /// champion, in quadrature. 0.03 is the macro-F1 spread measured over five seeds of the planted market's recipe
    /// (docs/modeling.md).
    /// </summary>
    [Range(0.0, 1.0)]
    public double SeedSpreadPrior { get; set; } = 0.03;

    /// <summary>Least improvement over the champion in point estimate, on top of the interval (0: significance alone decides).</summary>
    [Range(0.0, 1.0)]
    public double Margin { get; set; }

    /// <summary>Absolute floors every promoted model must reach on the window (metric → minimum; for <c>log_loss</c> a maximum).</summary>
    public Dictionary<string, double> Floors { get; set; } = new() { ["macro_f1"] = 0.34 };

    /// <summary>The candidate must beat every baseline on the window (always-hold, always-buy, majority class, persistence, stratified random).</summary>
    public bool RequireBeatBaseline { get; set; } = true;

    /// <summary>
    /// The candidate's trades must earn more per unit of risk (Sharpe, net of costs and slippage, next-open execution)
    /// than buy-and-hold and than staying out (Sharpe 0), beyond luck: a model that classifies well but trades worse than
    /// holding the market is not served.
    /// </summary>
    public bool RequireTradingEdge { get; set; } = true;

    /// <summary>How long a decision may hold its model's lock before another instance may take it.</summary>
    [Range(10, 3600)]
    public int DecisionLeaseSeconds { get; set; } = 300;

    /// <summary>How long a message waits for its model's lock before it is handed back for a later retry.</summary>
    [Range(1, 600)]
    public int LockWaitSeconds { get; set; } = 60;

    public static bool LowerIsBetter(string metric) => metric is "log_loss";
}
