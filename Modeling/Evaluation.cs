using NeuralTrade.Events.Contracts;

namespace NeuralTrade.Events.Modeling;

public static class Evaluation
{
    /// <summary>
    /// Classification scores of the probabilities (argmax) against the samples' labels, the honest backtest of the signals
    /// (<see cref="Backtest"/>) and the <see cref="Baselines"/> scored and backtested on the same samples.
    /// <paramref name="trainLabels"/> (the training split's labels) give the stratified-random baseline its class
    /// frequencies; without them that baseline is left out.
    /// </summary>
    public static EvaluationReport Evaluate(IReadOnlyList<Candle> candles, IReadOnlyList<Sample> samples, ReadOnlySpan<float> probabilities,
        BacktestOptions options, IReadOnlyList<int>? trainLabels = null)
    {
        ArgumentNullException.ThrowIfNull(candles);
        ArgumentNullException.ThrowIfNull(samples);
        ArgumentNullException.ThrowIfNull(options);
        var n = samples.Count;
        if (n == 0)
            throw new ArgumentException("Nothing to evaluate.", nameof(samples));
        var k = SignalClasses.Count;
        if (probabilities.Length != n * k)
            throw new ArgumentException($"{probabilities.Length} probabilities for {n} samples of {k} classes", nameof(probabilities));
        var confusion = Enumerable.Range(0, k).Select(_ => new int[k]).ToArray();
        var predicted = new int[n];
        var labels = new int[n];
        var ends = new int[n];
        double logLoss = 0;
        for (var i = 0; i < n; i++)
        {
            var row = probabilities.Slice(i * k, k);
            var argmax = SignalClasses.Predicted(row);

            predicted[i] = argmax;
            labels[i] = samples[i].Label;
            ends[i] = samples[i].End;
            confusion[labels[i]][argmax]++;
            logLoss -= Math.Log(Math.Clamp(row[labels[i]], 1e-7, 1));
        }

        var (accuracy, precision, recall, f1) = Scores(confusion, n);
        var backtest = Backtest(candles, ends, predicted, options);
        var baselines = Baselines.Evaluate(candles, samples, trainLabels, options);
        return new EvaluationReport(accuracy, f1.Average(), precision, recall, f1, confusion, logLoss / n, backtest, n)
        {
            Labels = labels,
            Predicted = predicted,
            Baselines = baselines,
        };
    }

    /// <summary>Accuracy and macro-F1 of hard predictions against realised labels (the monitor's concept-drift score).</summary>
    public static (double Accuracy, double MacroF1) Classification(IReadOnlyList<int> actual, IReadOnlyList<int> predicted)
    {
        ArgumentNullException.ThrowIfNull(actual);
        ArgumentNullException.ThrowIfNull(predicted);
        if (actual.Count != predicted.Count || actual.Count == 0)
            throw new ArgumentException($"Need as many predictions as labels, at least one ({predicted.Count} vs {actual.Count}).", nameof(predicted));
        var k = SignalClasses.Count;
        var confusion = Enumerable.Range(0, k).Select(_ => new int[k]).ToArray();
        for (var i = 0; i < actual.Count; i++)
            confusion[actual[i]][predicted[i]]++;
        var (accuracy, _, _, f1) = Scores(confusion, actual.Count);
        return (accuracy, f1.Average());
    }

    /// <summary>
    /// Macro-F1 over the three classes (a class absent from both labels and predictions scores 0), from a 3×3 count
    /// without allocating: the bootstrap calls it once per resample. F1 of class c is 2·TPc / (actual c + predicted c).
    /// </summary>
    public static double MacroF1(int[] labels, int[] predicted)
    {
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(predicted);
        return MacroF1(labels.AsSpan(), predicted.AsSpan());
    }

    public static double MacroF1(ReadOnlySpan<int> labels, ReadOnlySpan<int> predicted)
    {
        if (labels.Length != predicted.Length)
            throw new ArgumentException($"{predicted.Length} predictions for {labels.Length} labels", nameof(predicted));
        Span<int> truePositives = stackalloc int[SignalClasses.Count];
        Span<int> actual = stackalloc int[SignalClasses.Count];
        Span<int> guessed = stackalloc int[SignalClasses.Count];
        truePositives.Clear();
        actual.Clear();
        guessed.Clear();
        for (var i = 0; i < labels.Length; i++)
        {
            int l = labels[i], p = predicted[i];
            actual[l]++;
            guessed[p]++;
            if (l == p)
                truePositives[l]++;
        }

        double sum = 0;
        for (var c = 0; c < SignalClasses.Count; c++)
        {
            var denominator = actual[c] + guessed[c];
            if (denominator > 0)
                sum += 2.0 * truePositives[c] / denominator;
        }

        return sum / SignalClasses.Count;
    }

    static (double Accuracy, double[] Precision, double[] Recall, double[] F1) Scores(int[][] confusion, int n)
    {
        var k = confusion.Length;
        var precision = new double[k];
        var recall = new double[k];
        var f1 = new double[k];
        for (var c = 0; c < k; c++)
        {
            var tp = confusion[c][c];
            var predictedC = Enumerable.Range(0, k).Sum(r => confusion[r][c]);
            var actualC = confusion[c].Sum();
            precision[c] = predictedC == 0 ? 0 : (double)tp / predictedC;
            recall[c] = actualC == 0 ? 0 : (double)tp / actualC;
            f1[c] = precision[c] + recall[c] == 0 ? 0 : 2 * precision[c] * recall[c] / (precision[c] + recall[c]);
        }

        return ((double)Enumerable.Range(0, k).Sum(c => confusion[c][c]) / n, precision, recall, f1);
    }

    /// <summary>Macro-F1 of always predicting the most frequent class of <paramref name="train"/>: the baseline to beat.</summary>
    public static double MajorityBaselineMacroF1(IReadOnlyList<int> train, IReadOnlyList<int> test)
    {
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(test);
        var majority = train.GroupBy(l => l).OrderByDescending(g => g.Count()).First().Key;
        var share = (double)test.Count(l => l == majority) / test.Count;
        // Only the majority class is ever predicted: its precision is its share, its recall 1; the others score 0.
        var f1 = share == 0 ? 0 : 2 * share / (share + 1);
        return f1 / SignalClasses.Count;
    }

    /// <summary>
    /// Bars per year of a series, from its own timestamps: (candles − 1) / years between the first and the last open time,
    /// with 365-day years. A 1-minute crypto series gives 525,600; a daily equity series, with its weekends and holidays
    /// missing, about 252; a weekday-only series without holidays 5/7 · 365 ≈ 260.7.
    /// </summary>
    public static double PeriodsPerYear(IReadOnlyList<DateTimeOffset> openTimes)
    {
        ArgumentNullException.ThrowIfNull(openTimes);
        if (openTimes.Count < 2)
            throw new ArgumentException("at least two candles are needed to measure how often bars come", nameof(openTimes));
        var years = (openTimes[^1] - openTimes[0]).TotalDays / 365;
        if (years <= 0)
            throw new ArgumentException("the candles' open times do not advance", nameof(openTimes));
        return (openTimes.Count - 1) / years;
    }

    /// <summary>
    /// The honest backtest. The signal of the window ending at candle t (<paramref name="ends"/>[i], with
    /// <paramref name="signals"/>[i]) is known at t's close, so it is acted on at the next open: buy opens a long (+1),
    /// sell a short (−1), hold stays flat. A position is opened at open[t+1] and held for <see cref="BacktestOptions.Horizon"/>
    /// candles, the label's horizon, and closed at open[t+1+Horizon]. Signals that arrive while a position is held are
    /// ignored (trades never overlap); a signal for the same side right at the close continues the position without
    /// trading. A trade whose close lies beyond the candles is not opened. Each change of position pays
    /// <see cref="BacktestOptions.CostBps"/> + <see cref="BacktestOptions.SlippageBps"/> per side on the notional traded.
    /// <para>
    /// A position holds a fixed quantity (equity at entry / entry open) and is marked open to open, bar by bar; the
    /// bars marked are the one after each signal (t+1, flat unless a trade holds it) and every bar of each trade, so
    /// samples that are not contiguous (walk-forward test blocks) leave the time between them out. From the per-bar net
    /// returns come the equity curve, Sharpe, drawdown and block-bootstrap intervals of total return and Sharpe
    /// (block length <see cref="BacktestOptions.BlockLength"/>, default max(horizon, ⌈bars^(1/3)⌉)). Bars per year are
    /// measured from the timestamps of <paramref name="candles"/> (<see cref="PeriodsPerYear"/>), not assumed from
    /// a calendar.
    /// </para>
    /// </summary>
    public static BacktestReport Backtest(IReadOnlyList<Candle> candles, IReadOnlyList<int> ends, IReadOnlyList<int> signals, BacktestOptions options)
    {
        ArgumentNullException.ThrowIfNull(candles);
        ArgumentNullException.ThrowIfNull(ends);
        ArgumentNullException.ThrowIfNull(signals);
        ArgumentNullException.ThrowIfNull(options);
        if (ends.Count != signals.Count)
            throw new ArgumentException($"{signals.Count} signals for {ends.Count} sample ends", nameof(signals));
        if (options.Horizon < 1)
            throw new ArgumentOutOfRangeException(nameof(options), options.Horizon, "a position is held at least one candle");
        var count = candles.Count;
        for (var i = 0; i < ends.Count; i++)
        {
            if (ends[i] < 0 || ends[i] >= count || (i > 0 && ends[i] <= ends[i - 1]))
                throw new ArgumentException($"sample ends must be candle indices in increasing order; end {i} is {ends[i]} of {count} candles", nameof(ends));
        }

        var open = new double[count];
        var times = new DateTimeOffset[count];
        for (var t = 0; t < count; t++)
        {
            open[t] = (double)candles[t].Open;
            times[t] = candles[t].OpenTime;
        }

        var periodsPerYear = PeriodsPerYear(times);
        var horizon = options.Horizon;

        // Which candles' bars a position holds (bar j runs from open[j] to open[j+1]), and where each trade starts.
        var position = new sbyte[count];
        var tradeStarts = new List<int>();
        var freeFrom = int.MinValue;
        for (var i = 0; i < ends.Count; i++)
        {
            var direction = Direction(signals[i]);
            var entry = ends[i] + 1;
            if (direction == 0 || entry < freeFrom || entry + horizon > count - 1)
                continue;
            tradeStarts.Add(entry);
            for (var j = entry; j < entry + horizon; j++)
                position[j] = (sbyte)direction;
            freeFrom = entry + horizon;
        }

        var bars = Bars(ends, tradeStarts, horizon, count);
        var cost = (options.CostBps + options.SlippageBps) / 10_000;
        var returns = new double[bars.Count];
        var equityCurve = new double[bars.Count + 1];
        var barEnds = new DateTimeOffset[bars.Count];
        equityCurve[0] = 1;
        double equity = 1, runBase = 0, runEntryPrice = 0, tradeStartEquity = 0;
        int held = 0, wins = 0, nextTrade = 0;
        var ruined = false;
        for (var b = 0; b < bars.Count; b++)
        {
            var j = bars[b];
            barEnds[b] = times[j + 1];
            var p = ruined ? 0 : position[j];
            var before = equity;
            if (p != 0)
            {
                held++;
                var startsTrade = nextTrade < tradeStarts.Count && tradeStarts[nextTrade] == j;
                if (startsTrade)
                {
                    nextTrade++;
                    tradeStartEquity = equity;
                }

                if (j == 0 || position[j - 1] != p)
                {
                    // A new position: pay the entry side, fix the quantity at equity / open.
                    equity -= cost * equity;
                    runBase = equity;
                    runEntryPrice = open[j];
                }

                equity = runBase * (1 + p * (open[j + 1] / runEntryPrice - 1));
                var closes = j + 1 >= count || position[j + 1] != p;
                if (closes)
                    equity -= cost * runBase * open[j + 1] / runEntryPrice;
                var tradeEnds = closes || (nextTrade < tradeStarts.Count && tradeStarts[nextTrade] == j + 1);
                if (equity <= 0)
                {
                    equity = 0;
                    ruined = true;
                    tradeEnds = true;
                }

                if (tradeEnds && equity > tradeStartEquity)
                    wins++;
            }

            returns[b] = before > 0 ? equity / before - 1 : 0;
            equityCurve[b + 1] = equity;
        }

        var (sharpe, maxDrawdown) = (Sharpe(returns, periodsPerYear), MaxDrawdown(equityCurve));
        var blockLength = options.BlockLength ?? Bootstrap.DefaultBlockLength(bars.Count, horizon);
        var totalInterval = Bootstrap.Interval(returns, TotalReturn, blockLength, options.Resamples, options.Confidence, options.Seed);
        var sharpeInterval = Bootstrap.Interval(returns, r => Sharpe(r, periodsPerYear), blockLength, options.Resamples, options.Confidence,
            options.Seed + 1);
        // Compounding a short run of fast bars over a year can overflow; metrics travel as JSON, which has no infinity.
        var annualised = bars.Count == 0 ? 0 : equity <= 0 ? -1 : Math.Min(Math.Pow(equity, periodsPerYear / bars.Count) - 1, double.MaxValue);
        return new BacktestReport(equity - 1, sharpe, tradeStarts.Count == 0 ? 0 : (double)wins / tradeStarts.Count, maxDrawdown, tradeStarts.Count,
            annualised, bars.Count == 0 ? 0 : (double)held / bars.Count, periodsPerYear, bars.Count, totalInterval, sharpeInterval, blockLength,
            returns, equityCurve, barEnds);
    }

    static int Direction(int signal) => signal switch
    {
        SignalClasses.Buy => 1,
        SignalClasses.Sell => -1,
        SignalClasses.Hold => 0,
        _ => throw new ArgumentOutOfRangeException(nameof(signal), signal, "a signal is sell (0), hold (1) or buy (2)"),
    };

    /// <summary>The bars marked, in order: t+1 of each sample whose next bar is in the data, and every bar of each trade.</summary>
    static List<int> Bars(IReadOnlyList<int> ends, List<int> tradeStarts, int horizon, int count)
    {
        var marked = new bool[count];
        foreach (var t in ends)
        {
            if (t + 2 <= count - 1)
                marked[t + 1] = true;
        }

        foreach (var entry in tradeStarts)
            Array.Fill(marked, true, entry, horizon);
        var bars = new List<int>(ends.Count + horizon);
        for (var j = 0; j < count; j++)
        {
            if (marked[j])
                bars.Add(j);
        }

        return bars;
    }

    static double TotalReturn(double[] returns)
    {
        var equity = 1.0;
        foreach (var r in returns)
            equity *= 1 + r;
        return equity - 1;
    }

    /// <summary>Mean over sample standard deviation of per-bar returns, times √(bars a year); 0 when they do not vary.</summary>
    static double Sharpe(double[] returns, double periodsPerYear)
    {
        if (returns.Length < 2)
            return 0;
        double sum = 0;
        foreach (var r in returns)
            sum += r;
        var mean = sum / returns.Length;
        double squares = 0;
        foreach (var r in returns)
            squares += (r - mean) * (r - mean);
        var sd = Math.Sqrt(squares / (returns.Length - 1));
        return sd < 1e-15 ? 0 : mean / sd * Math.Sqrt(periodsPerYear);
    }

    static double MaxDrawdown(double[] equity)
    {
        double peak = equity[0], worst = 0;
        foreach (var e in equity)
        {
            peak = Math.Max(peak, e);
            if (peak > 0)
                worst = Math.Max(worst, (peak - e) / peak);
        }

        return worst;
    }
}
