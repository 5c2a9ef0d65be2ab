namespace NeuralTrade.Events.Modeling;

/// <summary>Class indices of the signal model, in the order of its outputs.</summary>
public static class SignalClasses
{
    public const int Sell = 0, Hold = 1, Buy = 2, Count = 3;
    public static readonly string[] Names = ["sell", "hold", "buy"];
}
