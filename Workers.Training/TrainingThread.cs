using System.Threading.Channels;
using NeuralTrade.Events.Modeling;

namespace NeuralTrade.Events.Workers.Training;

/// <summary>
/// Runs torch work (training, a walk-forward) synchronously on a dedicated thread and hands its progress to
/// asynchronous code. TorchSharp's dispose scopes belong to a thread, so the work itself never awaits: its progress
/// crosses to the caller through a channel, and the caller awaits whatever it does with it.
/// </summary>
internal static class TrainingThread
{
    /// <summary>
    /// Starts <paramref name="train"/> on its own thread, passes every epoch it reports to <paramref name="onEpoch"/>
    /// in order, and returns what it produced once both are done.
    /// </summary>
    public static Task<TrainingOutcome> RunAsync(Func<Action<EpochProgress>, TrainingOutcome> train, Func<EpochProgress, Task> onEpoch,
        CancellationToken cancellationToken) =>
        RunAsync<EpochProgress, TrainingOutcome>(train, onEpoch, cancellationToken);

    /// <summary>
    /// Starts <paramref name="work"/> on its own thread, passes everything it reports to <paramref name="onProgress"/>
    /// in order, and returns what it produced once both are done.
    /// </summary>
    public static async Task<TResult> RunAsync<TProgress, TResult>(Func<Action<TProgress>, TResult> work, Func<TProgress, Task> onProgress,
        CancellationToken cancellationToken)
    {
        var progress = Channel.CreateUnbounded<TProgress>();
        // Started whatever the token says: the work honours it itself, and a task cancelled before it ran would never
        // complete the channel, leaving the loop below waiting for ever.
        var running = Task.Factory.StartNew(() =>
        {
            try
            {
                cancellationToken.ThrowIfCancellationRequested();
                return work(p => progress.Writer.TryWrite(p));
            }
            finally
            {
                progress.Writer.TryComplete();
            }
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

        await foreach (var item in progress.Reader.ReadAllAsync(CancellationToken.None))
            await onProgress(item);

        return await running;
    }
}
