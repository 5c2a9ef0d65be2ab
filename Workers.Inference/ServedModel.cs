using NeuralTrade.Events.Modeling;

namespace NeuralTrade.Events.Workers.Inference;

/// <summary>
/// A model in service, reference-counted: the catalog holds one reference, every in-flight prediction another.
/// Swapping drops the catalog's reference; the weights are disposed when the last prediction that started on them ends.
/// </summary>
public sealed class ServedModel(LoadedModel model, int version)
{
    int _references = 1;

    public LoadedModel Model { get; } = model;
    public string Name => Model.Manifest.ModelName;
    public int Version { get; } = version;
    public string Sha256 => Model.Sha256;

    /// <summary>Disposed once retired and unused (tests watch it).</summary>
    public bool IsDisposed => Volatile.Read(ref _references) == 0;

    internal bool TryAcquire()
    {
        while (true)
        {
            var current = Volatile.Read(ref _references);
            if (current == 0)
                return false;
            if (Interlocked.CompareExchange(ref _references, current + 1, current) == current)
                return true;
        }
    }

    internal void Release()
    {
        if (Interlocked.Decrement(ref _references) == 0)
            Model.Dispose();
    }
}
