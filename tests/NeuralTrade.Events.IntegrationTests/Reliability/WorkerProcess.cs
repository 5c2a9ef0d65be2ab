using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace NeuralTrade.Events.IntegrationTests.Reliability;

/// <summary>
/// A worker as production runs it: its own process (<c>dotnet Workers.X/bin/Release/net10.0/NeuralTrade.Events.Workers.X.dll</c>,
/// built with the solution), configured through the environment, killed with SIGKILL when the scenario says so.
/// </summary>
public sealed class WorkerProcess : IAsyncDisposable
{
    readonly Process _process;
    readonly string _log;

    WorkerProcess(Process process, string log, int port)
    {
        _process = process;
        _log = log;
        Port = port;
    }

    public int Port { get; }

    /// <summary>From process start to the first 200 of its ready check.</summary>
    public TimeSpan StartedIn { get; private set; }
    public int Id => _process.Id;
    public bool HasExited => _process.HasExited;

    internal static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "NeuralTrade.Events.slnx")))
                return dir.FullName;
        }

        throw new InvalidOperationException("the repository root (NeuralTrade.Events.slnx) is not above " + AppContext.BaseDirectory);
    }

    static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Starts the worker and waits until its ready check answers 200 (or, with <paramref name="waitUntilReady"/> false, only until the process runs).</summary>
    public static async Task<WorkerProcess> StartAsync(string worker, IReadOnlyDictionary<string, string> environment, string logDirectory,
        bool waitUntilReady = true)
    {
        var directory = Path.Combine(RepositoryRoot(), $"Workers.{worker}", "bin", "Release", "net10.0");
        var dll = Path.Combine(directory, $"NeuralTrade.Events.Workers.{worker}.dll");
        if (!File.Exists(dll))
            Assert.Fail($"{dll} is not built: build the solution in Release first (deploy/test.sh does).");
        var port = FreePort();
        var start = new ProcessStartInfo("dotnet", [dll])
        {
            WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        foreach (var (key, value) in environment)
            start.Environment[key] = value;
        start.Environment["Urls"] = $"http://127.0.0.1:{port}";
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        start.Environment["Logging__LogLevel__MassTransit"] = "Error";
        Directory.CreateDirectory(logDirectory);
        var log = Path.Combine(logDirectory, $"{worker.ToLowerInvariant()}-{port}.log");
        var process = Process.Start(start) ?? throw new InvalidOperationException($"{worker} did not start");
        var writer = new StreamWriter(log) { AutoFlush = true };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (writer) writer.WriteLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (writer) writer.WriteLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var worker1 = new WorkerProcess(process, log, port);
        if (!waitUntilReady)
            return worker1;

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(90))
        {
            if (process.HasExited)
                Assert.Fail($"{worker} exited with {process.ExitCode} while starting; see {log}:\n{await File.ReadAllTextAsync(log)}");
            try
            {
                using var response = await http.GetAsync($"http://127.0.0.1:{port}/health/ready");
                if (response.IsSuccessStatusCode)
                {
                    worker1.StartedIn = deadline.Elapsed;
                    return worker1;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
            }

            await Task.Delay(200);
        }

        Assert.Fail($"{worker} was not ready within 90 s; see {log}");
        return worker1;
    }

    /// <summary>kill -9: no shutdown, no draining; what it held unacknowledged goes back to the queue.</summary>
    public void Kill()
    {
        if (!_process.HasExited)
            _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
    }

    public ValueTask DisposeAsync()
    {
        Kill();
        _process.Dispose();
        return ValueTask.CompletedTask;
    }

    public override string ToString() => $"pid {Id}, log {_log}";
}
