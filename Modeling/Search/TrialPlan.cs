using System.Globalization;

namespace NeuralTrade.Events.Modeling.Search;

/// <summary>One trial: its number in the search, the values it sets, and the recipe they make.</summary>
public sealed record Trial(int Index, IReadOnlyDictionary<string, double> Values, Hyperparameters Recipe)
{
    /// <summary>The values as a person reads them: <c>hiddenSize=64 learningRate=0.003</c>.</summary>
    public string Describe() => string.Join(' ', Values.Select(v => string.Create(CultureInfo.InvariantCulture, $"{v.Key}={v.Value:G6}")));
}

/// <summary>The search strategies.</summary>
public static class SearchStrategies
{
    public const string Grid = "grid", Random = "random";
}

/// <summary>
/// The trials of a search, decided up front and the same for the same request (seeded), so that a redelivered request or
/// a restarted coordinator plans the same trials: grid search takes every combination of the list dimensions (the last
/// varying fastest) and refuses a grid larger than the budget; random search draws <c>trials</c> points, a list
/// dimension uniformly among its values, an interval uniformly or log-uniformly, integers rounded.
/// </summary>
public static class TrialPlan
{
    /// <summary>The most trials one search may run.</summary>
    public const int MaxTrials = 256;

    public static IReadOnlyList<Trial>? Create(SearchSpace space, Hyperparameters baseRecipe, string strategy, int trials, int seed, out IReadOnlyList<string> problems)
    {
        ArgumentNullException.ThrowIfNull(space);
        ArgumentNullException.ThrowIfNull(baseRecipe);
        var errors = new List<string>();
        if (trials is < 1 or > MaxTrials)
            errors.Add($"trials {trials} must be 1 to {MaxTrials}");
        List<Trial>? plan = null;
        switch (strategy)
        {
            case SearchStrategies.Grid when space.GridSize is null:
                errors.Add("grid search needs a list of values for every dimension; an interval is for random search");
                break;
            case SearchStrategies.Grid when space.GridSize > trials:
                errors.Add($"the grid has {space.GridSize} combinations, more than the budget of {trials} trials; raise trials or use random search");
                break;
            case SearchStrategies.Grid when errors.Count == 0:
                plan = [.. Grid(space).Select((values, i) => Make(i, values, baseRecipe))];
                break;
            case SearchStrategies.Random when errors.Count == 0:
                var random = new Random(seed);
                plan = [.. Enumerable.Range(0, trials).Select(i => Make(i, Draw(space, random), baseRecipe))];
                break;
            case SearchStrategies.Grid or SearchStrategies.Random:
                break;
            default:
                errors.Add($"strategy '{strategy}' is unknown; use {SearchStrategies.Grid} or {SearchStrategies.Random}");
                break;
        }

        problems = errors;
        return errors.Count == 0 ? plan : null;
    }

    static Trial Make(int index, IReadOnlyDictionary<string, double> values, Hyperparameters baseRecipe) =>
        new(index, values, values.Aggregate(baseRecipe, (recipe, v) => recipe.With(v.Key, v.Value)));

    static IEnumerable<Dictionary<string, double>> Grid(SearchSpace space)
    {
        IEnumerable<Dictionary<string, double>> combinations = [new Dictionary<string, double>()];
        foreach (var d in space.Dimensions)
        {
            var dimension = d;
            combinations = combinations.SelectMany(c => dimension.Values!.Select(v => new Dictionary<string, double>(c) { [dimension.Name] = v }));
        }

        return combinations;
    }

    static Dictionary<string, double> Draw(SearchSpace space, Random random)
    {
        var values = new Dictionary<string, double>();
        foreach (var d in space.Dimensions)
        {
            double value;
            if (d.Values is { } list)
                value = list[random.Next(list.Count)];
            else
            {
                var (min, max) = (d.Min!.Value, d.Max!.Value);
                var u = random.NextDouble();
                value = d.Log ? Math.Exp(Math.Log(min) + u * (Math.Log(max) - Math.Log(min))) : min + u * (max - min);
                if (space.IsInteger(d.Name))
                    value = Math.Clamp(Math.Round(value), Math.Ceiling(min), Math.Floor(max));
            }

            values[d.Name] = value;
        }

        return values;
    }
}
