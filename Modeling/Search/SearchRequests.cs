using NeuralTrade.Events.Contracts;

namespace NeuralTrade.Events.Modeling.Search;

/// <summary>A search request checked and planned: its trials, and ASHA's rungs when it stops early.</summary>
/// <param name="Trials">The trials, in plan order.</param>
/// <param name="Rungs">The epochs at which a trial may be stopped (empty: every trial trains its whole budget).</param>
/// <param name="ReductionFactor">ASHA's η.</param>
public sealed record SearchPlan(IReadOnlyList<Trial> Trials, IReadOnlyList<int> Rungs, int ReductionFactor);

/// <summary>
/// From the contract's <see cref="SearchRequest"/> to a <see cref="SearchPlan"/>, with every refusal named: the space
/// (<see cref="SearchSpace"/>), the strategy and budget (<see cref="TrialPlan"/>), and early stopping. Dimensions are
/// taken in the order of their names, so the plan does not depend on the order of a JSON object's members.
/// </summary>
public static class SearchRequests
{
    public const int DefaultReductionFactor = 3;

    public static SearchPlan? Plan(SearchRequest request, Hyperparameters baseRecipe, out IReadOnlyList<string> problems)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(baseRecipe);
        var errors = new List<string>();
        var dimensions = (request.Space ?? new Dictionary<string, SearchRange>())
            .OrderBy(d => d.Key, StringComparer.Ordinal)
            .Select(d => new SearchDimension(d.Key, d.Value?.Values, d.Value?.Min, d.Value?.Max, d.Value?.Log ?? false))
            .ToList();
        var space = SearchSpace.Create(dimensions, baseRecipe, out var spaceProblems);
        errors.AddRange(spaceProblems);

        var eta = request.EarlyStopping?.ReductionFactor ?? DefaultReductionFactor;
        IReadOnlyList<int> rungs = [];
        if (request.EarlyStopping is { } stopping)
        {
            if (eta is < 2 or > 8)
                errors.Add($"earlyStopping.reductionFactor {eta} must be 2 to 8");
            if (space?.Dimensions.Any(d => d.Name.Equals("epochs", StringComparison.OrdinalIgnoreCase)) == true)
                errors.Add("epochs cannot be searched with early stopping: the rungs decide how long a trial trains");
            if (stopping.GraceEpochs < 1 || stopping.GraceEpochs >= baseRecipe.Epochs)
                errors.Add($"earlyStopping.graceEpochs {stopping.GraceEpochs} must be at least 1 and below the recipe's epochs ({baseRecipe.Epochs})");
            else if (eta is >= 2 and <= 8)
                rungs = Asha.Rungs(stopping.GraceEpochs, baseRecipe.Epochs, eta);
        }

        IReadOnlyList<Trial>? trials = null;
        if (space is not null)
        {
            trials = TrialPlan.Create(space, baseRecipe, request.Strategy ?? SearchStrategies.Random, request.Trials, request.Seed ?? 0, out var planProblems);
            errors.AddRange(planProblems);
        }

        problems = errors;
        return errors.Count == 0 && trials is not null ? new SearchPlan(trials, rungs, eta) : null;
    }
}
