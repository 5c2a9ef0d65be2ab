namespace NeuralTrade.Events.Workers.Monitor;

/// <summary>Thresholds of one feature's statistics; a null keeps the default.</summary>
public sealed class FeatureThresholds
{
    public Thresholds? Psi { get; set; }
    public Thresholds? KsPValue { get; set; }
}
