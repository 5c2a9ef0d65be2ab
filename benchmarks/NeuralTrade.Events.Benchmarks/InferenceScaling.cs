using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using NeuralTrade.Events.MarketData;
using NeuralTrade.Events.Modeling;
using NeuralTrade.Events.Stores;
using static TorchSharp.torch;

namespace NeuralTrade.Events.Benchmarks;

/// <summary>
/// Inference from 1 to N instances under the same load: each instance its own process, started as it deploys
/// (<c>dotnet Workers.Inference/…/NeuralTrade.Events.Workers.Inference.dll</c>, its own instance id, the shipped
/// defaults), competing for the queue <c>inference</c>. For each count: sustained predictions/s and p50/p99 with
/// <c>inFlight</c> requests in flight, light load (one in flight), and each instance's resident memory. Every process
/// shares this machine's cores with the broker, Redis and the load generator: on 2 cores more instances cannot add CPU,
/// and the table says so by the machine's core count next to the figures.
/// </summary>
internal sealed class InferenceScaling(string rabbitUrl, string managementUrl, string redisUrl, IReadOnlyList<int> counts, int requests, int inFlight,
    Hyperparameters hp, Action<string> log)
{
    public sealed record Step(int Instances, LatencyFigure Sustained, LatencyFigure Light, IReadOnlyList<double> ResidentMiB);

    public sealed record Figures(IReadOnlyList<Step> Steps, int Cores);

    public async Task<Figures> RunAsync()
    {
        var series = InferenceThroughput.Series;
        var candles = new MarketSimulator(new SimulatedMarket { Exchange = series.Exchange, Symbol = series.Symbol, Seed = 3 }).Generate(3_000).ToList();
        log($"training a model for one epoch (window {hp.WindowSize}, hidden {hp.HiddenSize}×{hp.NumLayers}) to serve…");
        var model = ModelTraining.Run(InferenceThroughput.Model, series, candles, hp, CPU);
        var dll = WorkerProcesses.Dll("Workers.Inference", "NeuralTrade.Events.Workers.Inference.dll");

        var directory = Path.Combine(Path.GetTempPath(), "nt-bench-" + Guid.NewGuid().ToString("N")[..8]);
        await using var broker = await BenchBroker.CreateAsync(rabbitUrl, managementUrl, redisUrl);
        var processes = new List<Process>();
        try
        {
            // A host of no worker: the bus and the registry store, to record the champion and send the requests' templates.
            using var control = await broker.StartHostAsync(directory, "control", builder => builder.AddModelRegistryStore());
            var registry = control.Services.GetRequiredService<IModelRegistryStore>();
            var versions = await InferenceThroughput.RegisterAsync(registry, directory, (model, "scale-1"));
            await registry.PromoteAsync(versions[0].ModelName, versions[0].Version);
            var length = FeatureSpec.OhlcvV1.Warmup + model.Manifest.WindowSize + ServingWindow.IndicatorHistory + 64;
            await using var load = await InferenceLoad.ConnectAsync(broker.Url, control.Services.GetRequiredService<IBus>(), registry,
                InferenceThroughput.Templates(candles, length));

            var steps = new List<Step>();
            foreach (var count in counts.Order())
            {
                while (processes.Count < count)
                    processes.Add(await StartAsync(dll, broker, directory, $"scale-{processes.Count + 1}"));
                log($"{count} Inference instance(s): warming up…");
                await load.MeasureAsync(Math.Max(500, requests / 3), inFlight, "warm-up");
                await Task.Delay(1_000);
                var sustained = await load.MeasureAsync(requests, inFlight, $"{count} instance(s), {inFlight} in flight");
                var light = await load.MeasureAsync(Math.Min(1_000, requests), 1, $"{count} instance(s), light load (1 in flight)");
                var resident = processes.Select(p => { p.Refresh(); return p.WorkingSet64 / 1048576.0; }).ToList();
                log($"{count} instance(s): {sustained.PerSecond:N0}/s, p50 {sustained.P50Ms:F1} ms, p99 {sustained.P99Ms:F1} ms (failed {sustained.Failed}, " +
                    $"lost {sustained.Lost}); light p50 {light.P50Ms:F2} ms, p99 {light.P99Ms:F2} ms; resident {string.Join(" + ", resident.Select(r => r.ToString("N0")))} MiB");
                steps.Add(new Step(count, sustained, light, resident));
            }

            await control.StopAsync();
            return new Figures(steps, Environment.ProcessorCount);
        }
        finally
        {
            foreach (var process in processes)
            {
                if (!process.HasExited)
                    process.Kill(entireProcessTree: true);
                process.Dispose();
            }

            if (Directory.Exists(directory))
                Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>Starts one Inference process on the benchmark's virtual host and key prefix and waits for its ready check.</summary>
    Task<Process> StartAsync(string dll, BenchBroker broker, string directory, string instanceId) =>
        WorkerProcesses.StartAsync(dll, instanceId, new Dictionary<string, string>
        {
            ["RABBITMQ_URL"] = broker.Url, ["REDIS_URL"] = redisUrl, ["Redis__KeyPrefix"] = broker.KeyPrefix, ["Tracking__LocalDirectory"] = directory,
            ["NEURALTRADE_INSTANCE_ID"] = instanceId, ["Candles__RequireClosed"] = "false",
        }, log);
}
