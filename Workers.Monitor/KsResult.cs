namespace NeuralTrade.Events.Workers.Monitor;

/// <summary>A two-sample Kolmogorov–Smirnov result.</summary>
/// <param name="Statistic">D: the largest distance between the two empirical CDFs.</param>
/// <param name="PValue">Asymptotic p-value of D for the effective sample sizes.</param>
/// <param name="EffectiveLive">Effective size of the live sample after its autocorrelation.</param>
/// <param name="EffectiveBaseline">Effective size of the baseline sample after its autocorrelation.</param>
public readonly record struct KsResult(double Statistic, double PValue, double EffectiveLive, double EffectiveBaseline);
