namespace NeuralTrade.Events.Workers.Inference;

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
