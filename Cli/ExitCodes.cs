namespace NeuralTrade.Events.Cli;

/// <summary>What the tool's exit codes mean (also in <c>neuraltrade --help</c> and the README).</summary>
internal static class ExitCodes
{
    /// <summary>Done; for predict/train/promote/rollback: the fleet answered with success.</summary>
    public const int Ok = 0;
    /// <summary>The fleet answered with a failure (prediction.failed, training.failed, a dead-lettered command), or no answer came in time.</summary>
    public const int Failed = 1;
    /// <summary>Bad arguments or settings.</summary>
    public const int Usage = 2;
    /// <summary>A service (RabbitMQ, its management API, Redis) cannot be reached.</summary>
    public const int Unreachable = 3;
}
