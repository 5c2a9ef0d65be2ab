using NeuralTrade.Events.Stores;
using NeuralTrade.Events.Testing;

namespace NeuralTrade.Events.Tests;

public sealed class InMemoryMonitorStoreTests : MonitorStoreContract
{
    InMemoryMonitorStore _store = new(TimeProvider.System);

    protected override IMonitorStore Store => _store;

    [SetUp]
    public void NewStore() => _store = new InMemoryMonitorStore(TimeProvider.System);
}
