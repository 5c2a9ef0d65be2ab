using System.Threading.Channels;
using NeuralTrade.Events.Modeling;

namespace NeuralTrade.Events.Workers.Training;

/// <summary>
/// Runs training synchronously on a dedicated thread and hands each epoch's progress to asynchronous code. TorchSharp's
/// dispose scopes belong to a thread, so the training itself never awaits: its epochs cross to the caller through a
/// channel, and the caller awaits whatever it does with them.
/// </summary>
internal static class TrainingThread
{
    /// <summary>
    /// Starts <paramref name="train"/> on its own thread, passes every epoch it reports to <paramref name="onEpoch"/>
    /// in order, and returns what it produced once both are done.
    /// </summary>
    public static async Task<TrainingOutcome> RunAsync(Func<Action<EpochProgress>, TrainingOutcome> train, Func<EpochProgress, Task> onEpoch,
        CancellationToken cancellationToken)
    {
        var progress = Channel.CreateUnbounded<EpochProgress>();
        var training = Task.Factory.StartNew(() =>
        {
            try
            {
                return train(p => progress.Writer.TryWrite(p));
            }
            finally
            {
                progress.Writer.TryComplete();
            }
        }, cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default);

        await foreach (var epoch in progress.Reader.ReadAllAsync(CancellationToken.None))
            await onEpoch(epoch);

        return await training;
    }
}
