using System.Collections.Concurrent;
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

/// <summary>A prediction's hold on a model: the model stays loaded until the lease is disposed.</summary>
public sealed class ModelLease(ServedModel model) : IDisposable
{
    int _released;

    public ServedModel Served { get; } = model;

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _released, 1) == 0)
            Served.Release();
    }
}

/// <summary>The champion of each model name that this instance serves; swaps are atomic.</summary>
public sealed class ModelCatalog
{
    readonly ConcurrentDictionary<string, ServedModel> _models = new(StringComparer.Ordinal);

    public ModelLease? Acquire(string modelName)
    {
        while (_models.TryGetValue(modelName, out var served))
        {
            if (served.TryAcquire())
                return new ModelLease(served);
            // Retired between the read and the acquire: the catalog already holds its successor.
        }

        return null;
    }

    public ServedModel? Current(string modelName) => _models.GetValueOrDefault(modelName);

    public IReadOnlyCollection<ServedModel> All => [.. _models.Values];

    /// <summary>Serves <paramref name="next"/> from now on; the model it replaces is disposed when its last prediction ends.</summary>
    public void Swap(ServedModel next)
    {
        ArgumentNullException.ThrowIfNull(next);
        ServedModel? previous = null;
        _models.AddOrUpdate(next.Name, next, (_, old) =>
        {
            previous = old;
            return next;
        });
        previous?.Release();
    }
}
