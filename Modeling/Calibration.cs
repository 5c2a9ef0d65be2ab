namespace NeuralTrade.Events.Modeling;

/// <summary>
/// Temperature scaling (Guo et al., 2017): one scalar T &gt; 0 fitted on the validation split by minimising the negative
/// log-likelihood of softmax(logits / T). Class-weighted training pushes probabilities towards the rare classes; T
/// corrects the confidence without changing which class wins (argmax is invariant), so every classification metric is
/// the same before and after, and only the probabilities, log-loss and ECE change. Probabilities are rescaled as
/// p<sub>c</sub><sup>1/T</sup> / Σ p<sup>1/T</sup>, which equals softmax(logits / T) because softmax is shift-invariant.
/// </summary>
public static class Calibration
{
    /// <summary>Bins of the reliability table and ECE: equal-width confidence bins over [1/3, 1].</summary>
    public const int Bins = 10;

    const double MinTemperature = 0.05, MaxTemperature = 20;

    /// <summary>
    /// The temperature minimising the mean NLL of <paramref name="labels"/> under the rescaled
    /// <paramref name="probabilities"/> (n × 3); golden-section search over log T in [ln 0.05, ln 20] (NLL is convex in 1/T).
    /// </summary>
    public static double FitTemperature(ReadOnlySpan<float> probabilities, IReadOnlyList<int> labels)
    {
        ArgumentNullException.ThrowIfNull(labels);
        if (labels.Count == 0 || probabilities.Length != labels.Count * SignalClasses.Count)
            throw new ArgumentException($"need n × {SignalClasses.Count} probabilities for n ≥ 1 labels ({probabilities.Length} for {labels.Count})");
        var logs = LogProbabilities(probabilities);
        double lo = Math.Log(MinTemperature), hi = Math.Log(MaxTemperature);
        var ratio = (Math.Sqrt(5) - 1) / 2;
        var a = hi - ratio * (hi - lo);
        var b = lo + ratio * (hi - lo);
        double fa = Nll(logs, labels, Math.Exp(a)), fb = Nll(logs, labels, Math.Exp(b));
        for (var i = 0; i < 80 && hi - lo > 1e-6; i++)
        {
            if (fa <= fb)
            {
                hi = b;
                (b, fb) = (a, fa);
                a = hi - ratio * (hi - lo);
                fa = Nll(logs, labels, Math.Exp(a));
            }
            else
            {
                lo = a;
                (a, fa) = (b, fb);
                b = lo + ratio * (hi - lo);
                fb = Nll(logs, labels, Math.Exp(b));
            }
        }

        var t = Math.Exp((lo + hi) / 2);
        // Never worse than leaving the probabilities alone (a flat likelihood could otherwise drift).
        return Nll(logs, labels, t) <= Nll(logs, labels, 1) ? t : 1;
    }

    /// <summary>Rescales each row of <paramref name="probabilities"/> (n × 3) in place by temperature <paramref name="temperature"/>.</summary>
    public static void Apply(Span<float> probabilities, double temperature)
    {
        if (!(temperature > 0) || !double.IsFinite(temperature))
            throw new ArgumentOutOfRangeException(nameof(temperature), temperature, "a temperature must be positive and finite");
        if (temperature == 1)
            return;
        var k = SignalClasses.Count;
        Span<double> scaled = stackalloc double[k];
        for (var i = 0; i + k <= probabilities.Length; i += k)
        {
            var row = probabilities.Slice(i, k);
            var max = double.NegativeInfinity;
            for (var c = 0; c < k; c++)
            {
                scaled[c] = Math.Log(Math.Max(row[c], 1e-30)) / temperature;
                max = Math.Max(max, scaled[c]);
            }

            double sum = 0;
            for (var c = 0; c < k; c++)
            {
                scaled[c] = Math.Exp(scaled[c] - max);
                sum += scaled[c];
            }

            for (var c = 0; c < k; c++)
                row[c] = (float)(scaled[c] / sum);
        }
    }

    /// <summary>
    /// The reliability table of top-class confidence against accuracy in <see cref="Bins"/> equal-width bins over
    /// [1/3, 1], and the expected calibration error Σ (nᵦ / n) · |accuracyᵦ − confidenceᵦ|.
    /// </summary>
    public static CalibrationReport Measure(ReadOnlySpan<float> probabilities, IReadOnlyList<int> labels)
    {
        ArgumentNullException.ThrowIfNull(labels);
        var k = SignalClasses.Count;
        var n = labels.Count;
        if (n == 0 || probabilities.Length != n * k)
            throw new ArgumentException($"need n × {k} probabilities for n ≥ 1 labels ({probabilities.Length} for {n})");
        var counts = new int[Bins];
        var confidence = new double[Bins];
        var correct = new int[Bins];
        double nll = 0;
        const double low = 1.0 / 3;
        for (var i = 0; i < n; i++)
        {
            var row = probabilities.Slice(i * k, k);
            var argmax = SignalClasses.Predicted(row);

            var bin = Math.Clamp((int)((row[argmax] - low) / (1 - low) * Bins), 0, Bins - 1);
            counts[bin]++;
            confidence[bin] += row[argmax];
            if (argmax == labels[i])
                correct[bin]++;
            nll -= Math.Log(Math.Clamp(row[labels[i]], 1e-7, 1));
        }

        var table = new List<ReliabilityBin>(Bins);
        double ece = 0;
        for (var b = 0; b < Bins; b++)
        {
            var from = low + (1 - low) * b / Bins;
            var to = low + (1 - low) * (b + 1) / Bins;
            if (counts[b] == 0)
            {
                table.Add(new ReliabilityBin(from, to, 0, null, null));
                continue;
            }

            var meanConfidence = confidence[b] / counts[b];
            var accuracy = (double)correct[b] / counts[b];
            ece += (double)counts[b] / n * Math.Abs(accuracy - meanConfidence);
            table.Add(new ReliabilityBin(from, to, counts[b], meanConfidence, accuracy));
        }

        return new CalibrationReport(ece, nll / n, table);
    }

    static double[] LogProbabilities(ReadOnlySpan<float> probabilities)
    {
        var logs = new double[probabilities.Length];
        for (var i = 0; i < logs.Length; i++)
            logs[i] = Math.Log(Math.Max(probabilities[i], 1e-30));
        return logs;
    }

    static double Nll(double[] logs, IReadOnlyList<int> labels, double temperature)
    {
        var k = SignalClasses.Count;
        double total = 0;
        for (var i = 0; i < labels.Count; i++)
        {
            var max = double.NegativeInfinity;
            for (var c = 0; c < k; c++)
                max = Math.Max(max, logs[i * k + c] / temperature);
            double sum = 0;
            for (var c = 0; c < k; c++)
                sum += Math.Exp(logs[i * k + c] / temperature - max);
            total -= logs[i * k + labels[i]] / temperature - max - Math.Log(sum);
        }

        return total / labels.Count;
    }
}

/// <summary>One bin of a reliability table: confidences in [From, To), how many, their mean, and how often the top class was right (null when empty).</summary>
public sealed record ReliabilityBin(double From, double To, int Count, double? MeanConfidence, double? Accuracy);

/// <summary>Expected calibration error, mean log-loss and the reliability table of one set of probabilities.</summary>
public sealed record CalibrationReport(double Ece, double LogLoss, IReadOnlyList<ReliabilityBin> Table);

/// <summary>
/// What an artifact records of its calibration: the temperature its probabilities are divided by (in logit space), and
/// ECE and log-loss before and after on the validation split it was fitted on and on the test split it was not.
/// </summary>
public sealed record CalibrationInfo(double Temperature, CalibrationReport ValidationBefore, CalibrationReport ValidationAfter,
    CalibrationReport TestBefore, CalibrationReport TestAfter);
