using System.Globalization;
using System.Reflection;
using System.Text.Json;

namespace NeuralTrade.Events.Modeling;

/// <summary>
/// Every size and setting of the model and its training, with the design's defaults. A request may override any
/// of them by name (camelCase); an unknown name or an out-of-range value is refused with a reason.
/// </summary>
public sealed record Hyperparameters
{
    // Model (DESIGN.md §5).
    public int WindowSize { get; init; } = 60;
    public int HiddenSize { get; init; } = 128;
    public int NumLayers { get; init; } = 2;
    public double Dropout { get; init; } = 0.2;

    // Labels.
    public int Horizon { get; init; } = 5;
    public double FixedThreshold { get; init; } = 0.002;
    public double VolatilityScale { get; init; } = 0.5;

    // Optimisation.
    public int Epochs { get; init; } = 30;
    public int BatchSize { get; init; } = 64;
    public double LearningRate { get; init; } = 1e-3;
    public double WeightDecay { get; init; } = 1e-2;
    public double GradientClip { get; init; } = 1.0;
    public int Patience { get; init; } = 5;
    public int Seed { get; init; } = 42;

    /// <summary>
    /// Models trained per run, with seeds Seed, Seed + 1, …: the one with the best validation loss is served, and the
    /// spread of their test metrics is reported (one training's score is one draw of the seed's luck).
    /// </summary>
    public int Seeds { get; init; } = 3;

    // Data.
    public double TrainFraction { get; init; } = 0.7;
    public double ValidationFraction { get; init; } = 0.15;
    public int MinSamples { get; init; } = 500;
    /// <summary>
    /// Missing candles tolerated between two consecutive candles of a sample's window (with its feature warm-up) or label
    /// horizon, in training and in serving alike (<see cref="CandleGaps"/>). An artifact without it means 3.
    /// </summary>
    public int MaxGapCandles { get; init; } = CandleGaps.DefaultMaxGapCandles;

    // Backtest.
    public double CostBps { get; init; } = 5;

    // Evaluation.

    /// <summary>
    /// Folds of a rolling-origin walk-forward the Training worker runs after training (each fold a model of the same
    /// recipe, one seed, trained on the past and tested on the next block), recorded as child runs of the training run;
    /// 0 (the default) runs none. Otherwise 2 to 20.
    /// </summary>
    public int WalkForwardFolds { get; init; }

    public LabelSpec Labels => new(Horizon, FixedThreshold, VolatilityScale);

    static readonly Dictionary<string, PropertyInfo> Properties = typeof(Hyperparameters)
        .GetProperties(BindingFlags.Public | BindingFlags.Instance)
        .Where(p => p.CanWrite)
        .ToDictionary(p => JsonNamingPolicy.CamelCase.ConvertName(p.Name), StringComparer.OrdinalIgnoreCase);

    /// <summary>The type of the hyperparameter <paramref name="name"/> (int or double), when there is one by that name.</summary>
    public static bool TryGetType(string name, out Type type)
    {
        type = Properties.TryGetValue(name, out var property) ? property.PropertyType : typeof(void);
        return type != typeof(void);
    }

    /// <summary>A copy with <paramref name="name"/> set to <paramref name="value"/> (rounded for an integer hyperparameter); not validated.</summary>
    public Hyperparameters With(string name, double value)
    {
        var property = Properties.TryGetValue(name, out var p) ? p : throw new ArgumentException($"unknown hyperparameter '{name}'", nameof(name));
        var copy = this with { };
        property.SetValue(copy, property.PropertyType == typeof(int) ? (object)checked((int)Math.Round(value)) : value);
        return copy;
    }

    /// <summary>Names and values, for tracking (MLflow params) and the artifact.</summary>
    public IReadOnlyDictionary<string, string> ToDictionary() => Properties.ToDictionary(
        kv => kv.Key, kv => Convert.ToString(kv.Value.GetValue(this), CultureInfo.InvariantCulture)!);

    /// <summary>Applies overrides; returns the problems (empty when all is well).</summary>
    public static Hyperparameters Apply(IReadOnlyDictionary<string, JsonElement>? overrides, out IReadOnlyList<string> problems)
    {
        var errors = new List<string>();
        var result = new Hyperparameters();
        foreach (var (name, value) in overrides ?? new Dictionary<string, JsonElement>())
        {
            if (!Properties.TryGetValue(name, out var property))
            {
                errors.Add($"unknown hyperparameter '{name}'; known: {string.Join(", ", Properties.Keys.Order())}");
                continue;
            }

            try
            {
                var converted = property.PropertyType == typeof(int) ? (object)value.GetInt32() : value.GetDouble();
                property.SetValue(result, converted);
            }
            catch (Exception e) when (e is InvalidOperationException or FormatException)
            {
                errors.Add($"hyperparameter '{name}' must be {(property.PropertyType == typeof(int) ? "an integer" : "a number")}, got {value.GetRawText()}");
            }
        }

        errors.AddRange(result.Validate());
        problems = errors;
        return result;
    }

    public IEnumerable<string> Validate()
    {
        if (WindowSize is < 8 or > 512) yield return $"windowSize {WindowSize} must be 8 to 512";
        if (HiddenSize is < 2 or > 1024 || HiddenSize % 2 != 0) yield return $"hiddenSize {HiddenSize} must be an even number from 2 to 1024";
        if (NumLayers is < 1 or > 8) yield return $"numLayers {NumLayers} must be 1 to 8";
        if (Dropout is < 0 or >= 1) yield return $"dropout {Dropout} must be in [0, 1)";
        if (Horizon is < 1 or > 500) yield return $"horizon {Horizon} must be 1 to 500";
        if (FixedThreshold is <= 0 or > 1) yield return $"fixedThreshold {FixedThreshold} must be in (0, 1]";
        if (VolatilityScale is < 0 or > 10) yield return $"volatilityScale {VolatilityScale} must be 0 to 10";
        if (Epochs is < 1 or > 1000) yield return $"epochs {Epochs} must be 1 to 1000";
        if (BatchSize is < 1 or > 4096) yield return $"batchSize {BatchSize} must be 1 to 4096";
        if (LearningRate is <= 0 or > 1) yield return $"learningRate {LearningRate} must be in (0, 1]";
        if (WeightDecay is < 0 or > 1) yield return $"weightDecay {WeightDecay} must be 0 to 1";
        if (GradientClip <= 0) yield return $"gradientClip {GradientClip} must be positive";
        if (Patience < 1) yield return $"patience {Patience} must be at least 1";
        if (Seeds is < 1 or > 16) yield return $"seeds {Seeds} must be 1 to 16";
        if (TrainFraction is <= 0 or >= 1 || ValidationFraction is <= 0 or >= 1 || TrainFraction + ValidationFraction >= 1)
            yield return $"trainFraction {TrainFraction} and validationFraction {ValidationFraction} must be positive and leave room for a test split";
        if (MinSamples < 30) yield return $"minSamples {MinSamples} must be at least 30";
        if (MaxGapCandles is < 0 or > 100_000) yield return $"maxGapCandles {MaxGapCandles} must be 0 to 100000";
        if (CostBps is < 0 or > 1000) yield return $"costBps {CostBps} must be 0 to 1000";
        if (WalkForwardFolds != 0 && WalkForwardFolds is < 2 or > 20)
            yield return $"walkForwardFolds {WalkForwardFolds} must be 0 (no walk-forward) or 2 to 20";
    }
}
