namespace NeuralTrade.Events.Cli;

/// <summary>A failure the operator can act on: printed as one line, without a stack trace.</summary>
internal sealed class CliException(string message, int exitCode = ExitCodes.Failed) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}
