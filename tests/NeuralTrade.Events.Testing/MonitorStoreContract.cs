using NeuralTrade.Events.Stores;

namespace NeuralTrade.Events.Testing;

/// <summary>The behaviour every <see cref="IMonitorStore"/> must have; run against in-memory and against a real Redis.</summary>
public abstract class MonitorStoreContract
{
    protected abstract IMonitorStore Store { get; }

    static WindowEntry Entry(long time, byte value) => new(time, [value, (byte)(time % 251)]);

    [Test]
    public async Task A_window_keeps_the_newest_entries_in_time_order()
    {
        await Store.AppendAsync("w", [Entry(30, 3), Entry(10, 1), Entry(20, 2)], capacity: 10);
        await Store.AppendAsync("w", [Entry(40, 4), Entry(50, 5)], capacity: 4);

        var all = await Store.ReadAsync("w", 100);
        Assert.That(all.Select(e => e.Time), Is.EqualTo(new long[] { 20, 30, 40, 50 }), "trimmed to the newest 4");
        Assert.That(all.Select(e => e.Value[0]), Is.EqualTo(new byte[] { 2, 3, 4, 5 }));
        Assert.That((await Store.ReadAsync("w", 2)).Select(e => e.Time), Is.EqualTo(new long[] { 40, 50 }), "the newest 2, oldest first");
        Assert.That(await Store.ReadAsync("missing", 10), Is.Empty);
    }

    [Test]
    public async Task Writing_a_time_again_replaces_its_entry()
    {
        await Store.AppendAsync("w", [Entry(10, 1), Entry(20, 2)], capacity: 10);
        await Store.AppendAsync("w", [Entry(20, 2), Entry(20, 9)], capacity: 10); // a redelivery, then a correction

        var all = await Store.ReadAsync("w", 10);
        Assert.That(all.Select(e => (e.Time, e.Value[0])), Is.EqualTo(new[] { (10L, (byte)1), (20L, (byte)9) }));
    }

    [Test]
    public async Task A_large_append_goes_in_whole()
    {
        var entries = Enumerable.Range(0, 1_234).Select(i => Entry(i, (byte)(i % 200))).ToList();
        await Store.AppendAsync("big", entries, capacity: 1_000);
        var all = await Store.ReadAsync("big", 5_000);
        Assert.That(all, Has.Count.EqualTo(1_000));
        Assert.That(all[0].Time, Is.EqualTo(234));
        Assert.That(all[^1].Time, Is.EqualTo(1_233));
    }

    [Test]
    public async Task State_fields_merge()
    {
        await Store.WriteStateAsync("s", new Dictionary<string, string> { ["a"] = "1", ["b"] = "2" });
        await Store.WriteStateAsync("s", new Dictionary<string, string> { ["b"] = "3" });
        Assert.That(await Store.ReadStateAsync("s"), Is.EquivalentTo(new Dictionary<string, string> { ["a"] = "1", ["b"] = "3" }));
        Assert.That(await Store.ReadStateAsync("none"), Is.Empty);
    }

    [Test]
    public async Task A_lock_has_one_holder_until_released_or_expired()
    {
        var first = await Store.TryLockAsync("l", TimeSpan.FromSeconds(30));
        Assert.That(first, Is.Not.Null);
        Assert.That(await Store.TryLockAsync("l", TimeSpan.FromSeconds(30)), Is.Null);
        await first!.DisposeAsync();
        var second = await Store.TryLockAsync("l", TimeSpan.FromMilliseconds(300));
        Assert.That(second, Is.Not.Null, "released");
        await Task.Delay(700);
        var third = await Store.TryLockAsync("l", TimeSpan.FromSeconds(30));
        Assert.That(third, Is.Not.Null, "the lease of a crashed holder runs out");
        await second!.DisposeAsync(); // the expired holder's release must not free the new holder's lock
        Assert.That(await Store.TryLockAsync("l", TimeSpan.FromSeconds(30)), Is.Null);
        await third!.DisposeAsync();
    }
}
