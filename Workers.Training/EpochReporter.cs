using System.Text.Json;
using NeuralTrade.Events.Contracts;
using NeuralTrade.Events.Modeling;
using NeuralTrade.Events.Stores;
using NeuralTrade.Events.Tracking;

namespace NeuralTrade.Events.Workers.Training;

/// <summary>
/// Reports the epochs of one training run as they end: to the run's metrics, the job's progress field, the training
/// meters and the log. Not cancellable: an epoch that was trained is also reported.
/// </summary>
internal sealed partial class EpochReporter(TrackedRun run, ITrainingJobStore jobs, Guid requestId, string owner, string modelName, ILogger logger)
{
    int _samplesBefore;

    public async Task ReportAsync(EpochProgress epoch)
    {
        await run.LogEpochAsync(epoch);
        await jobs.ReportProgressAsync(requestId, owner, JsonSerializer.Serialize(epoch, ContractJson.Options), CancellationToken.None);
        TrainingTelemetry.Epochs.Add(1);
        TrainingTelemetry.Progress.Record((double)epoch.Epoch / epoch.MaxEpochs, new KeyValuePair<string, object?>("model", modelName));
        TrainingTelemetry.Samples.Add(epoch.SamplesSeen - _samplesBefore);
        _samplesBefore = epoch.SamplesSeen;
        TrainingTelemetry.Loss.Record(epoch.TrainLoss, new KeyValuePair<string, object?>("split", "train"));
        TrainingTelemetry.Loss.Record(epoch.ValidationLoss, new KeyValuePair<string, object?>("split", "validation"));
        LogEpoch(requestId, epoch.Epoch, epoch.MaxEpochs, epoch.TrainLoss, epoch.ValidationLoss, epoch.Improved);
    }

    [LoggerMessage(Level = LogLevel.Information,
        Message = "Training {RequestId}: epoch {Epoch}/{MaxEpochs} train loss {TrainLoss:F4} validation loss {ValidationLoss:F4} (best so far: {Improved})")]
    partial void LogEpoch(Guid requestId, int epoch, int maxEpochs, double trainLoss, double validationLoss, bool improved);
}
