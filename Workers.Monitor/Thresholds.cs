namespace NeuralTrade.Events.Workers.Monitor;

/// <summary>Warning and alert levels of one statistic. For p-values (lower is worse) both are upper bounds.</summary>
public sealed class Thresholds
{
    public double Warn { get; set; }
    public double Alert { get; set; }

    public Thresholds() { }

    public Thresholds(double warn, double alert) => (Warn, Alert) = (warn, alert);
}
