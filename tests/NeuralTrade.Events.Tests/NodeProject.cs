using System.Diagnostics;

namespace NeuralTrade.Events.Tests;

/// <summary>
/// A folder of tests/ with a package.json and package-lock.json (tests/asyncapi, tests/kubernetes): its locked npm
/// packages installed with <c>npm ci</c> when missing or older than the lock file, and its scripts run with node.
/// Needs Node.js 18.18 or later and npm (<c>bash deploy/services.sh install</c> installs Debian's).
/// </summary>
public sealed class NodeProject(string directory)
{
    const string Install = "`bash deploy/services.sh install` installs Debian's nodejs and npm";
    readonly SemaphoreSlim _installing = new(1, 1);

    public string Directory { get; } = directory;

    /// <summary>Runs <c>node script arguments…</c> in the folder; its exit code and everything it printed.</summary>
    public async Task<(int Exit, string Output)> NodeAsync(string script, params string[] arguments)
    {
        await EnsureInstalledAsync();
        var (exit, output) = await RunAsync("node", [Path.Combine(Directory, script), .. arguments], TimeSpan.FromMinutes(2));
        await TestContext.Out.WriteLineAsync($"$ node {script} {string.Join(' ', arguments)} → {exit}\n{output}");
        return (exit, output);
    }

    /// <summary>Node 18.18 or later and npm are there, and node_modules holds exactly what package-lock.json locks.</summary>
    async Task EnsureInstalledAsync()
    {
        await _installing.WaitAsync();
        try
        {
            var (_, version) = await RunAsync("node", ["--version"], TimeSpan.FromSeconds(30));
            if (!Version.TryParse(version.Trim().TrimStart('v'), out var node) || node < new Version(18, 18))
                Assert.Fail($"the validators need Node.js 18.18 or later; this node is {version.Trim()}: {Install}");
            var installed = Path.Combine(Directory, "node_modules", ".package-lock.json");
            if (File.Exists(installed) && File.GetLastWriteTimeUtc(installed) >= File.GetLastWriteTimeUtc(Path.Combine(Directory, "package-lock.json")))
                return;
            // --ignore-scripts: nothing the packages ship runs at install (one of them would report the install to its vendor).
            var (exit, output) = await RunAsync("npm", ["ci", "--ignore-scripts", "--no-audit", "--no-fund"], TimeSpan.FromMinutes(10));
            Assert.That(exit, Is.EqualTo(0), $"npm ci in {Directory} failed:\n{output}");
        }
        finally
        {
            _installing.Release();
        }
    }

    async Task<(int Exit, string Output)> RunAsync(string program, string[] arguments, TimeSpan timeout)
    {
        var start = new ProcessStartInfo(program, arguments)
        {
            WorkingDirectory = Directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            Assert.Fail($"{program} is not installed ({e.Message}): {Install}");
            throw;
        }

        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            using var cancel = new CancellationTokenSource(timeout);
            try
            {
                await process.WaitForExitAsync(cancel.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                Assert.Fail($"{program} {string.Join(' ', arguments)} did not finish within {timeout}");
            }

            return (process.ExitCode, (await stdout) + (await stderr));
        }
    }
}
