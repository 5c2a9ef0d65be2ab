namespace NeuralTrade.Events.Modeling.Search;

/// <summary>What a trial does at a rung.</summary>
public enum RungDecision
{
    Continue,
    Stop,
}

/// <summary>
/// Asynchronous successive halving (ASHA, Li et al. 2020), with the stopping rule of Ray Tune's
/// <c>AsyncHyperBandScheduler</c>: rungs at <c>grace·η^k</c> epochs below the maximum; a trial reaching a rung is
/// compared with the trials recorded there before it, and stops when its validation metric is below the (1 − 1/η)
/// quantile of theirs (linear interpolation, as <c>numpy.percentile</c>); the first trial at a rung always continues.
/// So roughly 1/η of the trials go on from each rung, without waiting for a rung to fill: a stopped trial frees its
/// trainer at once. Higher metrics are better (validation macro-F1).
/// </summary>
public static class Asha
{
    /// <summary>The rungs, in epochs, ascending: grace, grace·η, grace·η², … while below <paramref name="maxEpochs"/>.</summary>
    public static IReadOnlyList<int> Rungs(int graceEpochs, int maxEpochs, int reductionFactor)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(graceEpochs, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(reductionFactor, 2);
        var rungs = new List<int>();
        for (long t = graceEpochs; t < maxEpochs; t *= reductionFactor)
            rungs.Add((int)t);
        return rungs;
    }

    /// <summary>The decision for a trial whose metric at a rung is <paramref name="value"/>, given those recorded there before it.</summary>
    public static RungDecision Decide(IReadOnlyList<double> recordedBefore, double value, int reductionFactor)
    {
        ArgumentNullException.ThrowIfNull(recordedBefore);
        if (recordedBefore.Count == 0)
            return RungDecision.Continue;
        if (!double.IsFinite(value))
            return RungDecision.Stop;
        return value < Cutoff(recordedBefore, reductionFactor) ? RungDecision.Stop : RungDecision.Continue;
    }

    /// <summary>The (1 − 1/η) quantile of <paramref name="recorded"/>, by linear interpolation between order statistics.</summary>
    public static double Cutoff(IReadOnlyList<double> recorded, int reductionFactor)
    {
        ArgumentNullException.ThrowIfNull(recorded);
        var sorted = recorded.Where(double.IsFinite).Order().ToArray();
        if (sorted.Length == 0)
            return double.NegativeInfinity;
        var position = (1 - 1.0 / reductionFactor) * (sorted.Length - 1);
        var lower = (int)Math.Floor(position);
        var upper = Math.Min(lower + 1, sorted.Length - 1);
        return sorted[lower] + (position - lower) * (sorted[upper] - sorted[lower]);
    }
}
