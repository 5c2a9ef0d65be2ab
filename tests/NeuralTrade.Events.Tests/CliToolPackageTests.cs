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

    /// <summary>The repository's root: the folder above the test output that holds NeuralTrade.Events.slnx.</summary>
    internal static string RepositoryRoot()
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

    /// <summary>
    /// The C# client as a trading service gets it: Contracts and Client packed, a program restored from those packages
    /// (and, for their dependencies, this machine's NuGet cache as a feed) with a NuGet cache of its own, built and run.
    /// It depends on RabbitMQ.Client, never on MassTransit itself (Contracts carries MassTransit.Abstractions for the
    /// message URNs), and it runs: connecting to a port nobody listens on fails with the client's own error.
    /// </summary>
    [Test, CancelAfter(900_000)]
    public async Task The_client_packages_restore_into_a_program_that_runs_without_MassTransit(CancellationToken ct)
    {
        var repo = RepositoryRoot();
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";
        var feed = Path.Combine(_work.FullName, "nupkgs");
        foreach (var project in new[] { "Contracts/NeuralTrade.Events.Contracts.csproj", "Client/NeuralTrade.Events.Client.csproj" })
        {
            var pack = await RunAsync(dotnet, ["pack", Path.Combine(repo, project), "-c", "Release", "-o", feed,
                "--artifacts-path", Path.Combine(_work.FullName, "artifacts"), "-nologo"], ct);
            Assert.That(pack.Code, Is.Zero, pack.Output);
        }

        var client = Directory.GetFiles(feed, "NeuralTrade.Events.Client.*.nupkg").Single();
        var version = System.Text.RegularExpressions.Regex.Match(Path.GetFileName(client), @"^NeuralTrade\.Events\.Client\.(.+)\.nupkg$").Groups[1].Value;
        using (var package = ZipFile.OpenRead(client))
        {
            using var reader = new StreamReader(package.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal)).Open());
            var nuspec = System.Xml.Linq.XDocument.Parse(await reader.ReadToEndAsync(ct));
            var dependencies = nuspec.Descendants().Where(e => e.Name.LocalName == "dependency").Select(e => (string)e.Attribute("id")!).Distinct().ToList();
            Assert.That(dependencies, Is.SupersetOf(new[] { "NeuralTrade.Events.Contracts", "RabbitMQ.Client", "Microsoft.Extensions.Logging.Abstractions" }));
            Assert.That(dependencies.Where(d => d.StartsWith("MassTransit", StringComparison.Ordinal)), Is.SubsetOf(new[] { "MassTransit.Abstractions" }),
                "the client does not depend on the MassTransit bus (Abstractions holds the contracts' message URN attribute)");
            Assert.That(package.Entries.Select(e => e.FullName), Does.Contain("lib/net10.0/NeuralTrade.Events.Client.dll").And.Contain("lib/net10.0/NeuralTrade.Events.Client.xml"));
        }

        // A program of a trading service: restored from the packages just made (a cache of its own, so a cached 0.1.0 from an
        // earlier run cannot hide them) and from this machine's NuGet cache for RabbitMQ.Client and the rest.
        var cache = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } packages
            ? packages : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        var app = Directory.CreateDirectory(Path.Combine(_work.FullName, "trading-service")).FullName;
        await File.WriteAllTextAsync(Path.Combine(app, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources><clear /><add key="local" value="{feed}" /><add key="cache" value="{cache}" /></packageSources>
            </configuration>
            """, ct);
        await File.WriteAllTextAsync(Path.Combine(app, "trading-service.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup><OutputType>Exe</OutputType><TargetFramework>net10.0</TargetFramework><Nullable>enable</Nullable><ImplicitUsings>enable</ImplicitUsings></PropertyGroup>
              <ItemGroup><PackageReference Include="NeuralTrade.Events.Client" Version="{version}" /></ItemGroup>
            </Project>
            """, ct);
        await File.WriteAllTextAsync(Path.Combine(app, "Program.cs"), """
            using NeuralTrade.Events.Client;
            var filter = new SeriesFilter("binance", "BTC/USDT", "1m");
            try
            {
                await using var client = await NeuralTradeClient.ConnectAsync(new NeuralTradeClientOptions
                {
                    Url = "amqp://trading:secret@127.0.0.1:1/", ConnectTimeout = TimeSpan.FromSeconds(3),
                });
                Console.WriteLine("connected?");
            }
            catch (Exception e)
            {
                Console.WriteLine($"filter {filter}; refused: {e.GetType().Name}: {e.Message}");
            }
            """, ct);
        var environment = new Dictionary<string, string?> { ["NUGET_PACKAGES"] = Path.Combine(_work.FullName, "packages") };
        var run = await RunAsync(dotnet, ["run", "--project", app, "-c", "Release"], ct, environment);

        Assert.That(run.Code, Is.Zero, run.Output);
        Assert.That(run.Stdout, Does.Contain("refused:").And.Not.Contain("connected?"), run.Output);
        var output = Directory.GetFiles(Path.Combine(app, "bin"), "NeuralTrade.Events.Client.dll", SearchOption.AllDirectories).Single();
        var binaries = Directory.GetFiles(Path.GetDirectoryName(output)!, "*.dll").Select(Path.GetFileName).ToList();
        Assert.That(binaries, Does.Contain("RabbitMQ.Client.dll").And.Contain("NeuralTrade.Events.Contracts.dll"));
        Assert.That(binaries.Where(b => b!.StartsWith("MassTransit", StringComparison.Ordinal)), Is.EqualTo(new[] { "MassTransit.Abstractions.dll" }),
            "MassTransit.Abstractions only (Contracts' message URNs), never the bus");
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
