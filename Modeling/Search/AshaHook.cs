namespace NeuralTrade.Events.Modeling.Search;

/// <summary>A trial ended early by ASHA at <see cref="Rung"/> epochs, with the validation loss it had there.</summary>
public sealed class TrialStoppedException(int rung, double validationLoss)
    : Exception($"stopped by early stopping at epoch {rung}: validation loss {validationLoss:0.####} below the rung's cut")
{
    public int Rung { get; } = rung;
    public double ValidationLoss { get; } = validationLoss;
}

/// <summary>
/// The per-epoch hook that applies ASHA to a training (<see cref="ModelTraining.Run"/>'s progress callback): at each
/// rung epoch it records the trial's validation loss there and asks for the decision; a stop ends the training at once
/// with <see cref="TrialStoppedException"/>, so the trainer's slot takes the next trial. Lower loss is better, so the
/// metric compared is the negated loss.
/// </summary>
public static class AshaHook
{
    /// <summary>
    /// Records <c>metric</c> at rung <c>r</c> for this trial and returns the metrics recorded at that rung before it
    /// (atomically, so concurrent trials each see a consistent "before"): the search's shared store.
    /// </summary>
    public delegate IReadOnlyList<double> RecordAtRung(int rung, double metric);

    public static Action<EpochProgress> Create(IReadOnlyList<int> rungs, int reductionFactor, RecordAtRung record, Action<EpochProgress>? inner = null)
    {
        ArgumentNullException.ThrowIfNull(rungs);
        ArgumentNullException.ThrowIfNull(record);
        var milestones = rungs.ToHashSet();
        return epoch =>
        {
            inner?.Invoke(epoch);
            if (!milestones.Contains(epoch.Epoch))
                return;
            var metric = double.IsFinite(epoch.ValidationLoss) ? -epoch.ValidationLoss : double.NaN;
            var before = record(epoch.Epoch, metric);
            if (Asha.Decide(before, metric, reductionFactor) == RungDecision.Stop)
                throw new TrialStoppedException(epoch.Epoch, epoch.ValidationLoss);
        };
    }
}
