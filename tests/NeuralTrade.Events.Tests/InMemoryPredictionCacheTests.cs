using NeuralTrade.Events.Stores;
using NeuralTrade.Events.Testing;

namespace NeuralTrade.Events.Tests;

public sealed class InMemoryPredictionCacheTests : PredictionCacheContract
{
    readonly FixedTimeProvider _clock = new(new DateTimeOffset(2026, 11, 24, 12, 0, 30, TimeSpan.Zero));
    InMemoryPredictionCache _cache = null!;

    protected override IPredictionCache Cache => _cache;

    [SetUp]
    public void NewCache() => _cache = new InMemoryPredictionCache(_clock);

    protected override Task PassAsync(TimeSpan time)
    {
        _clock.Now += time;
        return Task.CompletedTask;
    }
}
