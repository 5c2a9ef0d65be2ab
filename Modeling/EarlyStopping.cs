using static TorchSharp.torch;

namespace NeuralTrade.Events.Modeling;

/// <summary>
/// Early stopping on validation loss: remembers the best epoch's weights (a copy on the CPU) and how many epochs have
/// passed without an improvement of more than 1e-6, and puts the best weights back at the end.
/// </summary>
internal sealed class EarlyStopping : IDisposable
{
    Dictionary<string, Tensor>? _best;
    double _bestLoss = double.PositiveInfinity;

    public int BestEpoch { get; private set; }
    public int EpochsSinceBest { get; private set; }

    /// <summary>Records an epoch's validation loss; true when it improved on the best (and its weights were kept).</summary>
    public bool Observe(int epoch, double validationLoss, SignalPredictor model)
    {
        if (!(validationLoss < _bestLoss - 1e-6))
        {
            EpochsSinceBest++;
            return false;
        }

        _bestLoss = validationLoss;
        BestEpoch = epoch;
        EpochsSinceBest = 0;
        DisposeBest();
        using var copyScope = NewDisposeScope();
        _best = model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone().cpu().MoveToOuterDisposeScope());
        return true;
    }

    /// <summary>Copies the best epoch's weights into <paramref name="model"/> (nothing when no epoch improved).</summary>
    public void RestoreBest(SignalPredictor model)
    {
        if (_best is null)
            return;
        using var _ = no_grad();
        foreach (var (name, value) in model.state_dict())
            value.copy_(_best[name]);
    }

    public void Dispose() => DisposeBest();

    void DisposeBest()
    {
        if (_best is null)
            return;
        foreach (var t in _best.Values)
            t.Dispose();
        _best = null;
    }
}
