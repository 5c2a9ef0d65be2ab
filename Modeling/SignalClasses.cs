namespace NeuralTrade.Events.Modeling;

/// <summary>Class indices of the signal model, in the order of its outputs.</summary>
public static class SignalClasses
{
    public const int Sell = 0, Hold = 1, Buy = 2, Count = 3;
    public static readonly string[] Names = ["sell", "hold", "buy"];

    /// <summary>The most probable class of each row of <paramref name="probabilities"/> (n × 3; ties: the lower index).</summary>
    public static int[] ArgMax(ReadOnlySpan<float> probabilities)
    {
        var result = new int[probabilities.Length / Count];
        for (var i = 0; i < result.Length; i++)
            result[i] = Predicted(probabilities.Slice(i * Count, Count));
        return result;
    }

    /// <summary>The most probable class of one row of class probabilities (ties: the lower index).</summary>
    public static int Predicted(ReadOnlySpan<float> row)
    {
        var best = 0;
        for (var c = 1; c < row.Length; c++)
        {
            if (row[c] > row[best])
                best = c;
        }

        return best;
    }
}
