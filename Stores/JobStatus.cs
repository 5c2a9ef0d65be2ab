namespace NeuralTrade.Events.Stores;

/// <summary>
/// States of a training job: pending → running → announcing (result stored, event not yet published) → completed,
/// or → retry (failed, will run again) / failed (given up, or a bad request). A hyperparameter search's job waits in
/// searching while its trials run, claimed only to be checked now and then, and is resumed to pending when the last
/// trial ends.
/// </summary>
public static class JobStatus
{
    public const string Pending = "pending", Running = "running", Retry = "retry", Announcing = "announcing", Completed = "completed", Failed = "failed",
        Searching = "searching";
}
