using System.ComponentModel.DataAnnotations;

namespace NeuralTrade.Events.Workers.Registry;

public sealed class RegistryOptions
{
    public const string SectionName = "Registry";

    /// <summary>The metric the gate compares, on the candidate's held-out window (higher is better; <c>log_loss</c> lower).</summary>
    [Required]
    public string Metric { get; set; } = "macro_f1";

    /// <summary>How much better than the champion the candidate must be on <see cref="Metric"/>.</summary>
    [Range(0.0, 1.0)]
    public double Margin { get; set; } = 0.01;

    /// <summary>Absolute floors every promoted model must reach on the window (metric → minimum; for <c>log_loss</c> a maximum).</summary>
    public Dictionary<string, double> Floors { get; set; } = new() { ["macro_f1"] = 0.34 };

    /// <summary>The candidate must beat always predicting the window's majority class (macro-F1).</summary>
    public bool RequireBeatBaseline { get; set; } = true;

    /// <summary>How long a decision may hold its model's lock before another instance may take it.</summary>
    [Range(10, 3600)]
    public int DecisionLeaseSeconds { get; set; } = 300;

    /// <summary>How long a message waits for its model's lock before it is handed back for a later retry.</summary>
    [Range(1, 600)]
    public int LockWaitSeconds { get; set; } = 60;

    public static bool LowerIsBetter(string metric) => metric is "log_loss";
}
