using System.Diagnostics;

namespace NeuralTrade.Events.IntegrationTests.Reliability;

/// <summary>Runs a script of deploy/ from the repository root, bounded in time: its exit code and everything it printed.</summary>
internal static class DeployScript
{
    public static async Task<(int Exit, string Output)> RunAsync(string script, string arguments, TimeSpan timeout)
    {
        var start = new ProcessStartInfo("bash", $"deploy/{script} {arguments}")
        {
            WorkingDirectory = WorkerProcess.RepositoryRoot(), RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            return (-1, $"deploy/{script} {arguments} did not finish within {timeout}: {await output}{await error}");
        }

        return (process.ExitCode, (await output) + (await error));
    }
}
