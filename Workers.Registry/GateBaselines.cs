using NeuralTrade.Events.Contracts;
using NeuralTrade.Events.Modeling;

namespace NeuralTrade.Events.Workers.Registry;

/// <summary>
/// The signals the gate's candidate must beat on its window: the four baselines of <see cref="Baselines"/> (always
/// buy, always hold, persistence, stratified random drawn with the class shares of the labelled history before the
/// window) and the history's majority class. Each is known before the window starts: nothing here reads its labels.
/// </summary>
internal static class GateBaselines
{
    public const string Majority = "majority";

    public static IEnumerable<(string Name, int[] Predicted)> Signals(IReadOnlyList<Sample> window, IReadOnlyList<Candle> candles,
        IReadOnlyList<Sample> history, int seed)
    {
        var n = window.Count;
        yield return (Baselines.AlwaysHold, Baselines.AlwaysHoldSignals(n));
        yield return (Baselines.BuyAndHold, Baselines.BuyAndHoldSignals(n));
        yield return (Baselines.Persistence, Baselines.PersistenceSignals(candles, window.Select(s => s.End).ToList()));
        if (history.Count == 0)
            yield break;
        var historyLabels = history.Select(s => s.Label).ToList();
        yield return (Baselines.StratifiedRandom, Baselines.StratifiedRandomSignals(historyLabels, n, seed));
        var majority = historyLabels.GroupBy(l => l).OrderByDescending(g => g.Count()).ThenBy(g => g.Key).First().Key;
        yield return (Majority, Enumerable.Repeat(majority, n).ToArray());
    }
}
