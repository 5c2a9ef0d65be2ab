using NeuralTrade.Events.Stores;

namespace NeuralTrade.Events.Testing;

/// <summary>Lease semantics every training job store must have; run in memory and on a real Redis.</summary>
public abstract class TrainingJobStoreContract
{
    protected abstract ITrainingJobStore Store { get; }

    static readonly TimeSpan Long = TimeSpan.FromMinutes(5);

    [Test]
    public async Task A_job_is_enqueued_once_and_claimed_by_one_owner()
    {
        var id = Guid.NewGuid();
        Assert.That(await Store.EnqueueAsync(id, "{}"), Is.True);
        Assert.That(await Store.EnqueueAsync(id, "{}"), Is.False, "a redelivered request must not make a second job");

        var first = await Store.TryClaimAsync("a", Long);
        var second = await Store.TryClaimAsync("b", Long);

        Assert.That(first?.RequestId, Is.EqualTo(id));
        Assert.That(first!.Attempts, Is.EqualTo(1));
        Assert.That(first.Status, Is.EqualTo(JobStatus.Running));
        Assert.That(second, Is.Null);
    }

    [Test]
    public async Task An_expired_lease_lets_another_owner_take_the_job_and_the_old_owner_loses_it()
    {
        var id = Guid.NewGuid();
        await Store.EnqueueAsync(id, "{}");
        await Store.TryClaimAsync("dead", TimeSpan.FromMilliseconds(200));
        await Task.Delay(400);

        var taken = await Store.TryClaimAsync("alive", Long);

        Assert.That(taken?.RequestId, Is.EqualTo(id));
        Assert.That(taken!.Attempts, Is.EqualTo(2));
        Assert.That(await Store.RenewAsync(id, "dead", Long), Is.False);
        Assert.That(await Store.TransitionAsync(id, "dead", JobStatus.Completed), Is.False, "a former owner cannot finish the job");
        Assert.That(await Store.RenewAsync(id, "alive", Long), Is.True);
    }

    [Test]
    public async Task A_renewed_lease_keeps_the_job()
    {
        var id = Guid.NewGuid();
        await Store.EnqueueAsync(id, "{}");
        await Store.TryClaimAsync("a", TimeSpan.FromMilliseconds(300));
        for (var i = 0; i < 4; i++)
        {
            await Task.Delay(150);
            Assert.That(await Store.RenewAsync(id, "a", TimeSpan.FromMilliseconds(300)), Is.True);
        }

        Assert.That(await Store.TryClaimAsync("b", Long), Is.Null);
    }

    [Test]
    public async Task Retry_hands_the_job_back_after_the_delay_and_completed_jobs_are_never_claimed()
    {
        var id = Guid.NewGuid();
        await Store.EnqueueAsync(id, "{}");
        await Store.TryClaimAsync("a", Long);
        Assert.That(await Store.TransitionAsync(id, "a", JobStatus.Retry, error: "boom", retryAfter: TimeSpan.FromMilliseconds(300)), Is.True);
        Assert.That(await Store.TryClaimAsync("b", Long), Is.Null, "not before the retry delay");
        await Task.Delay(450);

        var retried = await Store.TryClaimAsync("b", Long);
        Assert.That(retried?.Error, Is.EqualTo("boom"));
        Assert.That(await Store.TransitionAsync(id, "b", JobStatus.Announcing, resultJson: "{\"done\":true}"), Is.True);
        Assert.That(await Store.TransitionAsync(id, "b", JobStatus.Completed), Is.True);

        var done = await Store.GetAsync(id);
        Assert.That((done!.Status, done.ResultJson), Is.EqualTo((JobStatus.Completed, "{\"done\":true}")));
        Assert.That(await Store.TryClaimAsync("c", Long), Is.Null);
    }

    [Test]
    public async Task An_announcing_job_is_claimed_again_with_its_result()
    {
        var id = Guid.NewGuid();
        await Store.EnqueueAsync(id, "{}");
        await Store.TryClaimAsync("a", TimeSpan.FromMilliseconds(200));
        await Store.TransitionAsync(id, "a", JobStatus.Announcing, resultJson: "{\"event\":1}");
        await Task.Delay(400);

        var again = await Store.TryClaimAsync("b", Long);

        Assert.That((again?.Status, again?.ResultJson), Is.EqualTo((JobStatus.Announcing, "{\"event\":1}")));
    }

    [Test]
    public async Task A_searching_job_is_checked_after_its_delay_without_an_attempt_and_resumed_ahead_of_pending_jobs()
    {
        var search = Guid.NewGuid();
        var other = Guid.NewGuid();
        await Store.EnqueueAsync(search, "{}");
        await Store.TryClaimAsync("a", Long);
        Assert.That(await Store.ResumeAsync(search), Is.False, "a running job is not resumed");
        Assert.That(await Store.TransitionAsync(search, "a", JobStatus.Searching, retryAfter: TimeSpan.FromMilliseconds(300)), Is.True);
        await Store.EnqueueAsync(other, "{}");

        var first = await Store.TryClaimAsync("b", Long);
        await Task.Delay(500);
        var checkedOnce = await Store.TryClaimAsync("c", Long);
        Assert.That(await Store.TransitionAsync(search, "a", JobStatus.Pending), Is.False, "the owner before the check lost the job");
        await Store.TransitionAsync(search, "c", JobStatus.Searching, retryAfter: Long);
        var third = Guid.NewGuid();
        await Store.EnqueueAsync(third, "{}");
        var resumed = await Store.ResumeAsync(search);
        var again = await Store.ResumeAsync(search);
        var next = await Store.TryClaimAsync("d", Long);

        Assert.Multiple(() =>
        {
            Assert.That(first?.RequestId, Is.EqualTo(other), "a searching job waits while pending jobs are claimed");
            Assert.That((checkedOnce?.RequestId, checkedOnce?.Status, checkedOnce?.Attempts), Is.EqualTo((search, JobStatus.Running, 1)),
                "checked after its delay, counting no attempt");
            Assert.That((resumed, again), Is.EqualTo((true, false)), "resumed once");
            Assert.That((next?.RequestId, next?.Attempts), Is.EqualTo((search, 1)), "resumed ahead of the pending job, its attempts counted afresh");
        });
    }
}
