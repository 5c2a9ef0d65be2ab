namespace NeuralTrade.Events.Stores;

public enum AppendStatus
{
    /// <summary>Stored now.</summary>
    Added,
    /// <summary>Already stored with the same values: nothing changed.</summary>
    Duplicate,
    /// <summary>A candle with the same openTime and other values is stored; it was kept.</summary>
    Conflict,
}
