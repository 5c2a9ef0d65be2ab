using System.Globalization;
using NeuralTrade.Events.Modeling;
using NeuralTrade.Events.Modeling.Search;

namespace NeuralTrade.Events.Workers.Training.Search;

/// <summary>What a run needs to know when it is a search's trial: its recipe, its parent run, and ASHA's rungs.</summary>
public sealed record TrialContext(Guid SearchId, int Trial, string ParentRunId, Hyperparameters Recipe, IReadOnlyDictionary<string, double> Values,
    IReadOnlyList<int> Rungs, int ReductionFactor, AshaHook.RecordAtRung RecordAtRung)
{
    /// <summary>The training run's tags plus the search's: <c>mlflow.parentRunId</c> (MLflow's nesting), the search and the trial.</summary>
    public Dictionary<string, string> Tags(Dictionary<string, string> runTags)
    {
        ArgumentNullException.ThrowIfNull(runTags);
        runTags["mlflow.parentRunId"] = ParentRunId;
        runTags["neuraltrade.search.id"] = SearchId.ToString();
        runTags["neuraltrade.search.trial"] = Trial.ToString(CultureInfo.InvariantCulture);
        runTags["neuraltrade.search.values"] = string.Join(' ', Values.Select(v => string.Create(CultureInfo.InvariantCulture, $"{v.Key}={v.Value:G6}")));
        return runTags;
    }
}
