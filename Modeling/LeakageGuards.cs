using NeuralTrade.Events.Contracts;

namespace NeuralTrade.Events.Modeling;

/// <summary>
/// Checks every training run makes before it trains, each of which fails loudly instead of producing a model whose
/// scores are inflated by the future:
/// <list type="bullet">
/// <item>features are causal: the feature row of candle t computed from candles up to t alone equals the one computed
/// from the whole range (a feature that reads t + 1 differs);</item>
/// <item>the split is purged: parts are in time order and no label of one part reads a candle that a later part's
/// label reads (López de Prado's purge: label intervals (End, End + horizon] never overlap across parts).</item>
/// </list>
/// </summary>
public static class LeakageGuards
{
    /// <summary>Rows probed for causality: spread over the valid rows, plus the last one.</summary>
    public const int CausalityProbes = 4;

    /// <summary>Throws <see cref="LeakageException"/> when a label of an earlier part overlaps a label of a later one, or parts are out of order.</summary>
    public static void VerifySplit(SignalDataset data, DataSplit split)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(split);
        var horizon = data.Labels.Horizon;
        (string Name, IReadOnlyList<Sample> Samples)[] parts = [("train", split.Train), ("validation", split.Validation), ("test", split.Test)];
        for (var p = 0; p + 1 < parts.Length; p++)
        {
            var (earlierName, earlier) = parts[p];
            for (var q = p + 1; q < parts.Length; q++)
            {
                var (laterName, later) = parts[q];
                if (earlier.Count == 0 || later.Count == 0)
                    continue;
                var lastEnd = earlier.Max(s => s.End);
                var firstEnd = later.Min(s => s.End);
                // The earlier part's last label reads candles up to lastEnd + horizon; the later part's first label starts after firstEnd.
                if (lastEnd + horizon > firstEnd)
                {
                    throw new LeakageException(
                        $"the {earlierName} split's label at candle {lastEnd} reads candles up to {lastEnd + horizon}, past candle {firstEnd} where the " +
                        $"{laterName} split's first label starts: the splits share future returns (purge at least {horizon} samples)");
                }
            }
        }
    }

    /// <summary>
    /// Throws <see cref="LeakageException"/> when a probed feature row computed from the candles up to it differs from
    /// the same row in <paramref name="features"/> (computed from all of <paramref name="candles"/>): the feature looks ahead.
    /// </summary>
    public static void VerifyCausalFeatures(IReadOnlyList<Candle> candles, Func<IReadOnlyList<Candle>, FeatureMatrix> compute, FeatureMatrix features)
    {
        ArgumentNullException.ThrowIfNull(candles);
        ArgumentNullException.ThrowIfNull(compute);
        ArgumentNullException.ThrowIfNull(features);
        var first = features.FirstValid;
        var n = features.Rows;
        if (n - first < 2)
            return;
        var probes = Enumerable.Range(1, CausalityProbes - 1).Select(i => first + (int)((long)(n - 1 - first) * i / CausalityProbes)).Append(n - 1)
            .Distinct();
        foreach (var t in probes)
        {
            var prefix = compute(new PrefixList<Candle>(candles, t + 1));
            for (var c = 0; c < features.Columns; c++)
            {
                var full = features[t, c];
                var causal = prefix.Rows > t ? prefix[t, c] : float.NaN;
                if (!(full == causal || (float.IsNaN(full) && float.IsNaN(causal))))
                {
                    throw new LeakageException(
                        $"feature column {c} at candle {t} is {full} computed from all {n} candles but {causal} from the candles up to {t}: " +
                        "it reads candles after the one it describes");
                }
            }
        }
    }

    /// <summary>The first <c>count</c> items of a list, without copying.</summary>
    sealed class PrefixList<T>(IReadOnlyList<T> source, int count) : IReadOnlyList<T>
    {
        public T this[int index] => (uint)index < (uint)count ? source[index] : throw new ArgumentOutOfRangeException(nameof(index));
        public int Count => count;
        public IEnumerator<T> GetEnumerator() => source.Take(count).GetEnumerator();
        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }
}

/// <summary>Training data that would let a model see the future; the run is refused.</summary>
public sealed class LeakageException(string message) : InvalidOperationException(message);
