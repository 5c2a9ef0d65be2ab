using NeuralTrade.Events.Contracts;

namespace NeuralTrade.Events.Fleet;

/// <summary>What one run of the demo did, for the exit code and for tests.</summary>
internal sealed record FleetReport(
    int Candles, long Accepted, long Rejected, long Streamed, long RequestedAnswers,
    IReadOnlyList<ModelDeployed> Deployed, IReadOnlyList<ModelRejected> ModelsRejected, IReadOnlyList<DriftDetected> Drift,
    IReadOnlyList<TrainingRequested> TrainingRequests, long Faults, int? ShiftAt, int? FirstRetrainCandle, TimeSpan Elapsed)
{
    /// <summary>0 when nothing faulted: a gate that refuses every model is the fleet doing its job, and the summary says why.</summary>
    public int ExitCode => Faults == 0 ? 0 : 1;
}
