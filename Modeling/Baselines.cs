using NeuralTrade.Events.Contracts;

namespace NeuralTrade.Events.Modeling;

/// <summary>A naive strategy's signals on the evaluated samples, scored and backtested exactly as the model is.</summary>
public sealed record BaselineResult(string Name, int[] Signals, double MacroF1, BacktestReport Backtest);

/// <summary>
/// The strategies a model has to beat, as signals for the same samples: buy-and-hold (always buy), always-hold (flat),
/// persistence (the sign of the last candle's close-to-close return: up → buy, down → sell, unchanged → hold) and
/// stratified random (classes drawn independently with the training split's class frequencies, seeded).
/// </summary>
public static class Baselines
{
    public const string BuyAndHold = "buy_and_hold", AlwaysHold = "always_hold", Persistence = "persistence", StratifiedRandom = "stratified_random";

    public static int[] BuyAndHoldSignals(int count) => Filled(count, SignalClasses.Buy);

    public static int[] AlwaysHoldSignals(int count) => Filled(count, SignalClasses.Hold);

    /// <summary>Buy after a candle that closed above the previous close, sell after one below, hold otherwise (and for the first candle).</summary>
    public static int[] PersistenceSignals(IReadOnlyList<Candle> candles, IReadOnlyList<int> ends)
    {
        ArgumentNullException.ThrowIfNull(candles);
        ArgumentNullException.ThrowIfNull(ends);
        var signals = new int[ends.Count];
        for (var i = 0; i < ends.Count; i++)
        {
            var t = ends[i];
            var change = t == 0 ? 0 : decimal.Sign(candles[t].Close - candles[t - 1].Close);
            signals[i] = change > 0 ? SignalClasses.Buy : change < 0 ? SignalClasses.Sell : SignalClasses.Hold;
        }

        return signals;
    }

    /// <summary><paramref name="count"/> classes drawn independently with the frequencies of <paramref name="trainLabels"/>.</summary>
    public static int[] StratifiedRandomSignals(IReadOnlyList<int> trainLabels, int count, int seed)
    {
        ArgumentNullException.ThrowIfNull(trainLabels);
        if (trainLabels.Count == 0)
            throw new ArgumentException("no training labels to take class frequencies from", nameof(trainLabels));
        var cumulative = new double[SignalClasses.Count];
        foreach (var label in trainLabels)
            cumulative[label]++;
        for (var c = 1; c < cumulative.Length; c++)
            cumulative[c] += cumulative[c - 1];
        var random = new Random(seed);
        var signals = new int[count];
        for (var i = 0; i < count; i++)
        {
            var u = random.NextDouble() * trainLabels.Count;
            var c = 0;
            while (c < SignalClasses.Count - 1 && u >= cumulative[c])
                c++;
            signals[i] = c;
        }

        return signals;
    }

    /// <summary>
    /// Every baseline's signals for <paramref name="samples"/>, with its macro-F1 against their labels and its backtest by
    /// <see cref="Evaluation.Backtest"/>. Stratified random needs <paramref name="trainLabels"/> and is left out without them;
    /// it is drawn with <see cref="BacktestOptions.Seed"/>.
    /// </summary>
    public static IReadOnlyList<BaselineResult> Evaluate(IReadOnlyList<Candle> candles, IReadOnlyList<Sample> samples, IReadOnlyList<int>? trainLabels,
        BacktestOptions options)
    {
        ArgumentNullException.ThrowIfNull(candles);
        ArgumentNullException.ThrowIfNull(samples);
        ArgumentNullException.ThrowIfNull(options);
        var ends = samples.Select(s => s.End).ToArray();
        var labels = samples.Select(s => s.Label).ToArray();
        var signals = new List<(string Name, int[] Signals)>
        {
            (BuyAndHold, BuyAndHoldSignals(samples.Count)),
            (AlwaysHold, AlwaysHoldSignals(samples.Count)),
            (Persistence, PersistenceSignals(candles, ends)),
        };
        if (trainLabels is { Count: > 0 })
            signals.Add((StratifiedRandom, StratifiedRandomSignals(trainLabels, samples.Count, options.Seed)));
        return signals.Select(b => Score(b.Name, b.Signals, candles, ends, labels, options)).ToList();
    }

    /// <summary>One baseline's signals scored and backtested.</summary>
    public static BaselineResult Score(string name, int[] signals, IReadOnlyList<Candle> candles, int[] ends, int[] labels, BacktestOptions options)
    {
        ArgumentNullException.ThrowIfNull(signals);
        ArgumentNullException.ThrowIfNull(labels);
        return new BaselineResult(name, signals, Evaluation.MacroF1(labels, signals), Evaluation.Backtest(candles, ends, signals, options));
    }

    static int[] Filled(int count, int signal)
    {
        var signals = new int[count];
        Array.Fill(signals, signal);
        return signals;
    }
}
