using System.Diagnostics;
using System.IO.Compression;
using System.Runtime.InteropServices;
using System.Text.Json;
using NeuralTrade.Events.Build;

namespace NeuralTrade.Events.Tests;

/// <summary>
/// The operators' tool as operators get it: <c>dotnet pack Cli</c> for this machine's runtime, <c>dotnet tool install
/// --tool-path</c> from the packages only (no other feed, a NuGet cache of its own), then the installed
/// <c>neuraltrade</c> run: its help, and a walk-forward evaluation offline, which loads libtorch and SkiaSharp from the
/// installed package (on Debian 12 only if the packed libLibTorchSharp.so carries the build's weakened need).
/// Builds the CLI and its dependencies afresh in Release (into a temporary artifacts folder), so it is slow: category
/// Packaging, for scripts to leave out with <c>--filter TestCategory!=Packaging</c>.
/// </summary>
[Category("Packaging"), NonParallelizable]
public sealed class CliToolPackageTests
{
    const string PackageId = "NeuralTrade.Events.Cli";
    static readonly string[] Runtimes = ["linux-x64", "osx-arm64", "win-x64"];

    DirectoryInfo _work = null!;

    [SetUp]
    public void CreateWorkDirectory() => _work = Directory.CreateTempSubdirectory("nt-tool-");

    [TearDown]
    public void DeleteWorkDirectory() => _work.Delete(recursive: true);

    static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "NeuralTrade.Events.slnx")))
                return dir.FullName;
        }

        throw new InvalidOperationException("the repository root (NeuralTrade.Events.slnx) is not above the test output");
    }

    static string Runtime()
    {
        var os = OperatingSystem.IsLinux() ? "linux" : OperatingSystem.IsMacOS() ? "osx" : OperatingSystem.IsWindows() ? "win" : "other";
        return $"{os}-{RuntimeInformation.OSArchitecture.ToString().ToLowerInvariant()}";
    }

    // Two to three minutes on an idle machine (two Release builds of the CLI's projects, outer and per-runtime, ~140 MB
    // compressed, the install, a small evaluation); the limit leaves room for a loaded CI machine.
    [Test, CancelAfter(1_800_000)]
    public async Task The_packed_tool_installs_into_a_tool_path_and_evaluates_a_sample_offline(CancellationToken ct)
    {
        var rid = Runtime();
        Assume.That(Runtimes, Does.Contain(rid), "the tool is packed for the runtimes libtorch ships for");
        var repo = RepositoryRoot();
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";
        var feed = Path.Combine(_work.FullName, "nupkgs");

        var pack = await RunAsync(dotnet, ["pack", Path.Combine(repo, "Cli", "NeuralTrade.Events.Cli.csproj"), "-c", "Release", "-o", feed,
            $"-p:RuntimeIdentifiers={rid}", "--artifacts-path", Path.Combine(_work.FullName, "artifacts"), "-nologo"], ct);
        Assert.That(pack.Code, Is.Zero, pack.Output);
        var packages = Directory.GetFiles(feed, "*.nupkg").Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
        Assert.That(packages, Has.Count.EqualTo(2).And.Some.StartsWith($"{PackageId}.{rid}.").And.Some.Match($@"^{PackageId}\.\d"), "top-level and runtime packages");
        using (var top = ZipFile.OpenRead(Path.Combine(feed, packages.Single(p => !p!.StartsWith($"{PackageId}.{rid}.", StringComparison.Ordinal))!)))
        {
            using var nuspec = new StreamReader(top.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal)).Open());
            var text = await nuspec.ReadToEndAsync(ct);
            Assert.That(text, Does.Contain("<packageType name=\"DotnetTool\"").And.Contain("<readme>README.md</readme>"));
            Assert.That(top.GetEntry("README.md"), Is.Not.Null);
        }

        // Only the packages just made: no other feed, and a NuGet cache of its own (a cached 0.1.0 from an earlier run would hide this one).
        var config = Path.Combine(_work.FullName, "nuget.config");
        await File.WriteAllTextAsync(config, $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources><clear /><add key="local" value="{feed}" /></packageSources>
            </configuration>
            """, ct);
        var tools = Path.Combine(_work.FullName, "tool");
        var environment = new Dictionary<string, string?> { ["NUGET_PACKAGES"] = Path.Combine(_work.FullName, "packages") };
        var install = await RunAsync(dotnet, ["tool", "install", PackageId, "--tool-path", tools, "--configfile", config], ct, environment);
        Assert.That(install.Code, Is.Zero, install.Output);

        var neuraltrade = Path.Combine(tools, OperatingSystem.IsWindows() ? "neuraltrade.exe" : "neuraltrade");
        // The tool's shim finds the runtime through DOTNET_ROOT, as after a user's install of the SDK.
        var run = new Dictionary<string, string?> { ["DOTNET_ROOT"] = Path.GetDirectoryName(Path.GetFullPath(dotnet)), ["MLFLOW_TRACKING_URI"] = null };
        var help = await RunAsync(neuraltrade, ["--help"], ct, run);
        Assert.That(help.Code, Is.Zero, help.Output);
        Assert.That(help.Output, Does.Contain("candles").And.Contain("evaluate").And.Contain("dlq").And.Contain("queues"));

        if (OperatingSystem.IsLinux() && ElfVersionNeeds.FindSystemLibStdCxx() is { } libStdCxx
            && !ElfVersionNeeds.Read(libStdCxx).Definitions.Contains("GLIBCXX_3.4.32"))
        {
            var installed = Directory.GetFiles(Path.Combine(tools, ".store"), "libLibTorchSharp.so", SearchOption.AllDirectories).Single();
            Assert.That(ElfVersionNeeds.Read(installed).Needs.Single(n => n.Version == "GLIBCXX_3.4.32").IsWeak, Is.True,
                $"{libStdCxx} lacks GLIBCXX_3.4.32: the packed library carries the build's weakened need");
        }

        var output = Path.Combine(_work.FullName, "evaluation");
        var evaluate = await RunAsync(neuraltrade, ["evaluate", "--csv", Path.Combine(repo, "samples", "btc-usdt-1m.csv"), "--exchange", "binance",
            "--symbol", "BTC/USDT", "--interval", "1m", "--to", "2024-01-02T12:00:00Z", "--folds", "2", "--set", "epochs=2", "--set", "hiddenSize=8",
            "--set", "windowSize=10", "--set", "numLayers=1", "--set", "minSamples=100", "--out", output, "--json"], ct, run);

        Assert.That(evaluate.Code, Is.Zero, evaluate.Output);
        using var summary = JsonDocument.Parse(evaluate.Stdout);
        Assert.Multiple(() =>
        {
            Assert.That(summary.RootElement.GetProperty("folds").GetArrayLength(), Is.EqualTo(2));
            Assert.That(summary.RootElement.GetProperty("verdict").GetString(), Is.Not.Empty);
            Assert.That(summary.RootElement.GetProperty("baselines").GetArrayLength(), Is.GreaterThan(0));
            Assert.That(Path.Combine(output, "summary.json"), Does.Exist);
            Assert.That(new FileInfo(Path.Combine(output, "fold_metrics.png")).Length, Is.GreaterThan(1_000), "SkiaSharp drew the plot");
        });
    }

    async Task<(int Code, string Stdout, string Output)> RunAsync(string file, string[] args, CancellationToken ct,
        IReadOnlyDictionary<string, string?>? environment = null)
    {
        var start = new ProcessStartInfo(file, args)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = _work.FullName,
        };
        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
        {
            if (value is null)
                start.Environment.Remove(name);
            else
                start.Environment[name] = value;
        }
        // What the test host's own build sets would steer the child's build (MSBuild node reuse, the test's configuration).
        start.Environment.Remove("MSBuildExtensionsPath");
        start.Environment.Remove("MSBuildSDKsPath");
        start.Environment["MSBUILDNODEREUSE"] = "0";
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        try
        {
            await process.WaitForExitAsync(ct);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        var text = $"$ {file} {string.Join(' ', args)}  → {process.ExitCode}\n{await stdout}\nstderr:\n{await stderr}";
        await TestContext.Out.WriteLineAsync(text.Length > 20_000 ? text[^20_000..] : text);
        return (process.ExitCode, await stdout, text);
    }
}
