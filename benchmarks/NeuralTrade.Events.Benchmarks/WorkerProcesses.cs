using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace NeuralTrade.Events.Benchmarks;

/// <summary>Workers started as they deploy: <c>dotnet Workers.X/bin/Release/net10.0/….dll</c>, one process each, ready when its health check says so.</summary>
internal static class WorkerProcesses
{
    /// <summary>A worker's assembly as built with the solution in Release.</summary>
    public static string Dll(string project, string assembly)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var dll = Path.Combine(dir.FullName, project, "bin", "Release", "net10.0", assembly);
            if (File.Exists(Path.Combine(dir.FullName, "NeuralTrade.Events.slnx")))
                return File.Exists(dll) ? dll : throw new InvalidOperationException($"{dll} is not built: dotnet build -c Release first (deploy/benchmark.sh does)");
        }

        throw new InvalidOperationException("the repository root (NeuralTrade.Events.slnx) is not above " + AppContext.BaseDirectory);
    }

    /// <summary>Starts <paramref name="dll"/> with <paramref name="environment"/> (warnings only in its log) and waits for <c>/health/ready</c>.</summary>
    public static async Task<Process> StartAsync(string dll, string name, IReadOnlyDictionary<string, string> environment, Action<string> log)
    {
        int port;
        using (var listener = new TcpListener(IPAddress.Loopback, 0))
        {
            listener.Start();
            port = ((IPEndPoint)listener.LocalEndpoint).Port;
        }

        var start = new ProcessStartInfo("dotnet", [dll])
        {
            WorkingDirectory = Path.GetDirectoryName(dll)!, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        start.Environment["Urls"] = $"http://127.0.0.1:{port}";
        // NEURALTRADE_BENCH_WORKER_LOGS=DIR keeps each worker's log (Information) in DIR/<name>.log, to see where its time goes.
        var logs = Environment.GetEnvironmentVariable("NEURALTRADE_BENCH_WORKER_LOGS");
        start.Environment["Logging__LogLevel__Default"] = logs is { Length: > 0 } ? "Information" : "Warning";
        foreach (var (key, value) in environment)
            start.Environment[key] = value;
        var process = Process.Start(start) ?? throw new InvalidOperationException($"{name} did not start");
        StreamWriter? file = null;
        if (logs is { Length: > 0 })
        {
            Directory.CreateDirectory(logs);
            file = new StreamWriter(Path.Combine(logs, name + ".log"), append: true) { AutoFlush = true };
        }

        process.OutputDataReceived += (_, e) =>
        {
            if (file is not null && e.Data is { } line)
            {
                lock (file)
                    file.WriteLine(line);
            }
        };
        process.ErrorDataReceived += (_, e) => { if (e.Data is { Length: > 0 } line) log($"[{name}] {line}"); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(120))
        {
            if (process.HasExited)
                throw new InvalidOperationException($"{name} exited with {process.ExitCode} while starting");
            try
            {
                using var response = await http.GetAsync($"http://127.0.0.1:{port}/health/ready");
                if (response.IsSuccessStatusCode)
                {
                    log($"{name} (pid {process.Id}) ready in {clock.Elapsed.TotalSeconds:F1} s");
                    return process;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
            }

            await Task.Delay(250);
        }

        process.Kill(entireProcessTree: true);
        throw new InvalidOperationException($"{name} was not ready within 120 s");
    }

    public static void StopAll(IEnumerable<Process> processes)
    {
        foreach (var process in processes)
        {
            if (!process.HasExited)
                process.Kill(entireProcessTree: true);
            process.Dispose();
        }
    }
}
