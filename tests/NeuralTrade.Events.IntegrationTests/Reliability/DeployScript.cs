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

/// <summary>What an Inference process reports of itself on its Prometheus scrape.</summary>
internal static class InferenceMetrics
{
    /// <summary>Its count of swaps with this outcome (swapped, unchanged, refused).</summary>
    public static async Task<double> SwapsAsync(int port, string outcome)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var scrape = await http.GetStringAsync($"http://127.0.0.1:{port}/metrics");
        return scrape.Split('\n')
            .Where(l => l.StartsWith("neuraltrade_inference_swaps_total{", StringComparison.Ordinal) && l.Contains($"outcome=\"{outcome}\"", StringComparison.Ordinal))
            .Sum(l => double.Parse(l[(l.IndexOf('}', StringComparison.Ordinal) + 1)..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture));
    }
}
