using System.Collections.Concurrent;

namespace NeuralTrade.Events.Workers.Inference;

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
