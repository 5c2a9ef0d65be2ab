namespace NeuralTrade.Events.Modeling;

public static class Evaluation
{
    public static EvaluationReport Evaluate(IReadOnlyList<int> labels, ReadOnlySpan<float> probabilities, IReadOnlyList<double> nextReturns,
        double costBps, TimeSpan interval)
    {
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(nextReturns);
        var n = labels.Count;
        if (n == 0)
            throw new ArgumentException("Nothing to evaluate.", nameof(labels));
        var k = SignalClasses.Count;
        var confusion = Enumerable.Range(0, k).Select(_ => new int[k]).ToArray();
        var predicted = new int[n];
        double logLoss = 0;
        for (var i = 0; i < n; i++)
        {
            var row = probabilities.Slice(i * k, k);
            var argmax = 0;
            for (var c = 1; c < k; c++)
            {
                if (row[c] > row[argmax])
                    argmax = c;
            }

            predicted[i] = argmax;
            confusion[labels[i]][argmax]++;
            logLoss -= Math.Log(Math.Clamp(row[labels[i]], 1e-7, 1));
        }

        var (accuracy, precision, recall, f1) = Scores(confusion, n);
        return new EvaluationReport(accuracy, f1.Average(), precision, recall, f1, confusion, logLoss / n,
            Backtest(predicted, nextReturns, costBps, interval), n);
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

    public static BacktestReport Backtest(IReadOnlyList<int> predicted, IReadOnlyList<double> nextReturns, double costBps, TimeSpan interval)
    {
        ArgumentNullException.ThrowIfNull(predicted);
        ArgumentNullException.ThrowIfNull(nextReturns);
        var cost = costBps / 10_000;
        var pnl = new double[predicted.Count];
        var previous = 0;
        var equity = 1.0;
        var peak = 1.0;
        var maxDrawdown = 0.0;
        int trades = 0, active = 0, hits = 0;
        for (var i = 0; i < predicted.Count; i++)
        {
            var position = predicted[i] switch { SignalClasses.Buy => 1, SignalClasses.Sell => -1, _ => 0 };
            if (position != previous)
                trades++;
            pnl[i] = position * nextReturns[i] - cost * Math.Abs(position - previous);
            if (position != 0)
            {
                active++;
                if (pnl[i] > 0)
                    hits++;
            }

            equity *= 1 + pnl[i];
            peak = Math.Max(peak, equity);
            maxDrawdown = Math.Max(maxDrawdown, (peak - equity) / peak);
            previous = position;
        }

        var mean = pnl.Average();
        var sd = Math.Sqrt(pnl.Sum(p => (p - mean) * (p - mean)) / Math.Max(1, pnl.Length - 1));
        var periodsPerYear = TimeSpan.FromDays(365).TotalSeconds / interval.TotalSeconds;
        var sharpe = sd == 0 ? 0 : mean / sd * Math.Sqrt(periodsPerYear);
        return new BacktestReport(equity - 1, sharpe, active == 0 ? 0 : (double)hits / active, maxDrawdown, trades);
    }
}
