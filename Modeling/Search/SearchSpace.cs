using System.Globalization;

namespace NeuralTrade.Events.Modeling.Search;

/// <summary>
/// One hyperparameter's range in a search: a list of values (grid or random choice), or an interval sampled uniformly
/// (or log-uniformly) by random search. An integer hyperparameter's sampled values are rounded to integers.
/// </summary>
/// <param name="Name">The hyperparameter, as <see cref="Hyperparameters"/> names it (camelCase).</param>
/// <param name="Values">The values to try, in order; null for an interval.</param>
/// <param name="Min">The interval's lower end (inclusive); null for a list.</param>
/// <param name="Max">The interval's upper end (inclusive); null for a list.</param>
/// <param name="Log">Sample the interval log-uniformly (both ends must be positive).</param>
public sealed record SearchDimension(string Name, IReadOnlyList<double>? Values = null, double? Min = null, double? Max = null, bool Log = false)
{
    /// <summary>A list dimension.</summary>
    public static SearchDimension Of(string name, params double[] values) => new(name, values);

    /// <summary>An interval dimension.</summary>
    public static SearchDimension Between(string name, double min, double max, bool log = false) => new(name, null, min, max, log);

    public bool IsInterval => Values is null;
}

/// <summary>
/// A search space over <see cref="Hyperparameters"/>, bounded so that a request from an untrusted publisher cannot ask
/// for unbounded work: at most <see cref="MaxDimensions"/> dimensions of at most <see cref="MaxValues"/> values each,
/// every value a valid setting of its hyperparameter (checked against <see cref="Hyperparameters.Validate"/> on top
/// of the base recipe). The search's trial budget is bounded separately (<see cref="TrialPlan"/>).
/// </summary>
public sealed class SearchSpace
{
    public const int MaxDimensions = 8, MaxValues = 32;

    /// <summary>Hyperparameters a search may not vary: they change what is evaluated or how, not the model.</summary>
    public static readonly IReadOnlySet<string> Fixed = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
    {
        "horizon", "fixedThreshold", "volatilityScale", "trainFraction", "validationFraction", "minSamples", "maxGapCandles", "costBps",
        "walkForwardFolds", "seeds",
    };

    SearchSpace(IReadOnlyList<SearchDimension> dimensions, IReadOnlyDictionary<string, bool> integer)
    {
        Dimensions = dimensions;
        _integer = integer;
    }

    readonly IReadOnlyDictionary<string, bool> _integer;

    /// <summary>The dimensions, in the order given (the grid varies the last fastest).</summary>
    public IReadOnlyList<SearchDimension> Dimensions { get; }

    /// <summary>Whether <paramref name="name"/> is an integer hyperparameter.</summary>
    public bool IsInteger(string name) => _integer[name];

    /// <summary>
    /// The space, or the problems that refuse it (each naming the dimension and why): unknown or fixed hyperparameters,
    /// too many dimensions or values, empty lists, bad intervals, and values the base recipe would refuse.
    /// </summary>
    public static SearchSpace? Create(IReadOnlyList<SearchDimension> dimensions, Hyperparameters baseRecipe, out IReadOnlyList<string> problems)
    {
        ArgumentNullException.ThrowIfNull(dimensions);
        ArgumentNullException.ThrowIfNull(baseRecipe);
        var errors = new List<string>();
        if (dimensions.Count == 0)
            errors.Add("the search space is empty: name at least one hyperparameter to vary");
        if (dimensions.Count > MaxDimensions)
            errors.Add($"the search space has {dimensions.Count} dimensions; at most {MaxDimensions}");
        var integer = new Dictionary<string, bool>(StringComparer.OrdinalIgnoreCase);
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var d in dimensions.Take(MaxDimensions))
        {
            if (!seen.Add(d.Name))
            {
                errors.Add($"'{d.Name}' appears twice in the search space");
                continue;
            }

            if (Fixed.Contains(d.Name))
            {
                errors.Add($"'{d.Name}' cannot be searched: it changes the labels, the splits or the evaluation, so trials would not be comparable");
                continue;
            }

            if (!Hyperparameters.TryGetType(d.Name, out var type))
            {
                errors.Add($"unknown hyperparameter '{d.Name}' in the search space");
                continue;
            }

            integer[d.Name] = type == typeof(int);
            if (d.Values is { } values)
            {
                if (d.Min is not null || d.Max is not null)
                    errors.Add($"'{d.Name}': give either values or min and max, not both");
                if (values.Count is 0 or > MaxValues)
                    errors.Add($"'{d.Name}': {values.Count} values; give 1 to {MaxValues}");
                foreach (var v in values.Take(MaxValues))
                    errors.AddRange(Check(d.Name, v, integer[d.Name], baseRecipe));
            }
            else if (d.Min is not { } min || d.Max is not { } max)
            {
                errors.Add($"'{d.Name}': give values, or min and max");
            }
            else if (!double.IsFinite(min) || !double.IsFinite(max) || min > max)
            {
                errors.Add($"'{d.Name}': min {min.ToString(CultureInfo.InvariantCulture)} and max {max.ToString(CultureInfo.InvariantCulture)} must be finite, min ≤ max");
            }
            else if (d.Log && min <= 0)
            {
                errors.Add($"'{d.Name}': a log interval needs min > 0");
            }
            else if (integer[d.Name])
            {
                // Every integer the interval can draw must be a valid setting (hiddenSize must be even, for one).
                if (Math.Ceiling(min) > Math.Floor(max))
                    errors.Add($"'{d.Name}': the interval holds no integer");
                else if (Math.Floor(max) - Math.Ceiling(min) > 100_000)
                    errors.Add($"'{d.Name}': an integer interval may span at most 100000 values");
                else
                    errors.AddRange(Enumerable.Range(0, (int)(Math.Floor(max) - Math.Ceiling(min)) + 1)
                        .SelectMany(i => Check(d.Name, Math.Ceiling(min) + i, true, baseRecipe)).Take(3));
            }
            else
            {
                errors.AddRange(Check(d.Name, min, false, baseRecipe));
                errors.AddRange(Check(d.Name, max, false, baseRecipe));
            }
        }

        problems = errors;
        return errors.Count == 0 ? new SearchSpace([.. dimensions], integer) : null;
    }

    static IEnumerable<string> Check(string name, double value, bool integer, Hyperparameters baseRecipe)
    {
        if (!double.IsFinite(value))
            return [$"'{name}': {value.ToString(CultureInfo.InvariantCulture)} is not a number"];
        if (integer && Math.Abs(value) > int.MaxValue)
            return [$"'{name}': {value.ToString(CultureInfo.InvariantCulture)} is out of range"];
        if (integer && value != Math.Round(value))
            return [$"'{name}' is an integer; {value.ToString(CultureInfo.InvariantCulture)} is not"];
        return baseRecipe.With(name, value).Validate().Select(p => $"'{name}' = {value.ToString(CultureInfo.InvariantCulture)}: {p}");
    }

    /// <summary>Every combination of the list dimensions, the last varying fastest; null when a dimension is an interval.</summary>
    public long? GridSize => Dimensions.Any(d => d.IsInterval) ? null : Dimensions.Aggregate(1L, (n, d) => n * d.Values!.Count);
}
