namespace NeuralTrade.Events.Modeling;

/// <summary>
/// The test macro-F1 of every seed a run trained (uncalibrated; calibration never changes the predicted class), the
/// seed served (best validation loss) and their spread. The Registry's gate widens its confidence bound by
/// <see cref="StandardDeviation"/>, and the Monitor expects the live score to be near <see cref="Mean"/>, not the
/// luckiest draw.
/// </summary>
public sealed record SeedSpread(IReadOnlyList<int> SeedValues, IReadOnlyList<double> TestMacroF1, int ServedSeed, double Mean, double StandardDeviation,
    double Min, double Max)
{
    public static SeedSpread Of(IReadOnlyList<(int Seed, double ValidationLoss, double TestMacroF1)> seeds)
    {
        ArgumentNullException.ThrowIfNull(seeds);
        if (seeds.Count == 0)
            throw new ArgumentException("no seeds", nameof(seeds));
        var served = seeds.Where(s => double.IsFinite(s.ValidationLoss)).DefaultIfEmpty(seeds[0]).MinBy(s => s.ValidationLoss).Seed;
        var values = seeds.Select(s => s.TestMacroF1).ToArray();
        var mean = values.Average();
        var sd = values.Length < 2 ? 0 : Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Length - 1));
        return new SeedSpread(seeds.Select(s => s.Seed).ToArray(), values, served, mean, sd, values.Min(), values.Max());
    }

    /// <summary>Metric names for MLflow, the event and the registry.</summary>
    public IReadOnlyDictionary<string, double> ToMetrics() => new Dictionary<string, double>
    {
        ["seed_count"] = TestMacroF1.Count,
        ["seed_macro_f1_mean"] = Mean,
        ["seed_macro_f1_sd"] = StandardDeviation,
        ["seed_macro_f1_min"] = Min,
        ["seed_macro_f1_max"] = Max,
    };
}
