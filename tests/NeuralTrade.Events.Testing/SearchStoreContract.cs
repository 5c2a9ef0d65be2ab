using NeuralTrade.Events.Stores;

namespace NeuralTrade.Events.Testing;

/// <summary>What every search store must do; run in memory and on a real Redis.</summary>
public abstract class SearchStoreContract
{
    protected abstract ISearchStore Store { get; }

    [Test]
    public async Task The_state_is_stored_once_and_each_trials_outcome_once()
    {
        var id = Guid.NewGuid();
        Assert.That(await Store.CreateAsync(id, "{\"a\":1}"), Is.True);
        Assert.That(await Store.CreateAsync(id, "{\"a\":2}"), Is.False);
        Assert.That(await Store.GetStateAsync(id), Is.EqualTo("{\"a\":1}"));
        Assert.That(await Store.GetStateAsync(Guid.NewGuid()), Is.Null);

        Assert.That(await Store.RecordTrialAsync(id, 3, "first"), Is.EqualTo(1));
        Assert.That(await Store.RecordTrialAsync(id, 3, "again"), Is.EqualTo(1), "a retried trial records once");
        Assert.That(await Store.RecordTrialAsync(id, 10, "other"), Is.EqualTo(2));
        Assert.That(await Store.GetTrialsAsync(id), Is.EquivalentTo(new Dictionary<int, string> { [3] = "first", [10] = "other" }));
    }

    [Test]
    public void A_rung_answers_what_was_recorded_before_and_the_same_again_to_a_retried_trial()
    {
        var id = Guid.NewGuid();
        Assert.Multiple(() =>
        {
            Assert.That(Store.RecordAtRung(id, 2, 1, -0.5), Is.Empty, "the first at a rung");
            Assert.That(Store.RecordAtRung(id, 2, 10, -0.25), Is.EqualTo(new[] { -0.5 }), "trial 1's record is not trial 10's");
            Assert.That(Store.RecordAtRung(id, 2, 0, 0.125), Is.EqualTo(new[] { -0.5, -0.25 }));
            Assert.That(Store.RecordAtRung(id, 2, 10, -9), Is.EqualTo(new[] { -0.5 }), "a retry keeps its first record and answer");
            Assert.That(Store.RecordAtRung(id, 6, 0, 1.0 / 3), Is.Empty, "rungs are apart");
            Assert.That(Store.RecordAtRung(id, 6, 1, 0.1), Is.EqualTo(new[] { 1.0 / 3 }), "values round-trip exactly");
        });
    }
}
