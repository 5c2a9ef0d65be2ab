using System.Collections.Concurrent;
using System.Diagnostics;
using MassTransit;
using NeuralTrade.Events.Contracts;
using NeuralTrade.Events.Stores;

namespace NeuralTrade.Events.Benchmarks;

/// <summary>
/// The trading side of the inference benchmark: requests of the public contract sent through <see cref="RawTradingClient"/>
/// (the <see cref="Windows"/> in turn), answers matched by requestId, and each scenario's round trips counted as
/// answered, failed or lost.
/// </summary>
internal sealed class InferenceLoad(IBus bus, IModelRegistryStore registry, List<RawTradingClient.Template> windows) : IAsyncDisposable
{
    readonly ConcurrentDictionary<Guid, (long Sent, TaskCompletionSource<bool> Done)> _pending = new();
    RawTradingClient _client = null!;
    int _failed;

    /// <summary>The request bodies sent in turn; a scenario may change them (by value, by reference).</summary>
    public List<RawTradingClient.Template> Windows { get; set; } = windows;

    public static async Task<InferenceLoad> ConnectAsync(string brokerUrl, IBus bus, IModelRegistryStore registry, List<RawTradingClient.Template> windows)
    {
        var load = new InferenceLoad(bus, registry, windows);
        load._client = await RawTradingClient.ConnectAsync(brokerUrl, load.OnAnswer);
        return load;
    }

    public ValueTask DisposeAsync() => _client.DisposeAsync();

    /// <summary>
    /// <paramref name="count"/> round trips, <paramref name="concurrency"/> in flight; with <paramref name="swapBetween"/>,
    /// a new model is deployed every 2 s meanwhile; with <paramref name="echo"/>, to the transport-only echo consumer.
    /// </summary>
    public async Task<LatencyFigure> MeasureAsync(int count, int concurrency, string scenario, List<RegisteredVersion>? swapBetween = null,
        bool echo = false)
    {
        var failedBefore = Volatile.Read(ref _failed);
        var latencies = new ConcurrentBag<double>();
        var lost = 0;
        using var stopSwapping = new CancellationTokenSource();
        var swapping = swapBetween is null ? Task.CompletedTask : SwapLoopAsync(bus, registry, swapBetween, stopSwapping.Token);
        var watch = Stopwatch.StartNew();
        await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = concurrency }, async (i, ct) =>
        {
            if (await RoundTripAsync(Windows[i % Windows.Count], echo, ct) is { } ms)
                latencies.Add(ms);
            else
                Interlocked.Increment(ref lost);
        });
        watch.Stop();
        await stopSwapping.CancelAsync();
        await swapping;
        var failed = Volatile.Read(ref _failed) - failedBefore;
        return Figure(scenario, count, failed, lost, watch.Elapsed.TotalSeconds, latencies);
    }

    /// <summary>Sends requests at a fixed rate for <paramref name="duration"/>, each on its own, and measures each round trip.</summary>
    public async Task<LatencyFigure> MeasureAtRateAsync(double rate, TimeSpan duration, string scenario)
    {
        var failedBefore = Volatile.Read(ref _failed);
        var count = Math.Max(50, (int)(rate * duration.TotalSeconds));
        var latencies = new ConcurrentBag<double>();
        var lost = 0;
        var trips = new List<Task>(count);
        var watch = Stopwatch.StartNew();
        for (var i = 0; i < count; i++)
        {
            var wait = TimeSpan.FromSeconds(i / rate) - watch.Elapsed;
            if (wait > TimeSpan.FromMilliseconds(1))
                await Task.Delay(wait);
            var window = Windows[i % Windows.Count];
            trips.Add(Task.Run(async () =>
            {
                if (await RoundTripAsync(window, echo: false, CancellationToken.None) is { } ms)
                    latencies.Add(ms);
                else
                    Interlocked.Increment(ref lost);
            }));
        }

        await Task.WhenAll(trips);
        watch.Stop();
        var failed = Volatile.Read(ref _failed) - failedBefore;
        return Figure(scenario, count, failed, lost, watch.Elapsed.TotalSeconds, latencies);
    }

    /// <summary>One request and its answer; the milliseconds between them, or null when no answer came within 30 s (lost).</summary>
    async Task<double?> RoundTripAsync(RawTradingClient.Template window, bool echo, CancellationToken cancellationToken)
    {
        var id = Guid.NewGuid();
        var done = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        var sent = Stopwatch.GetTimestamp();
        _pending[id] = (sent, done);
        try
        {
            await _client.PublishAsync(echo ? RawTradingClient.EchoExchange : Exchanges.PredictionRequested, window, id, cancellationToken);
            await done.Task.WaitAsync(TimeSpan.FromSeconds(30), cancellationToken);
            return Stopwatch.GetElapsedTime(sent).TotalMilliseconds;
        }
        catch (TimeoutException)
        {
            return null;
        }
        finally
        {
            _pending.TryRemove(id, out _);
        }
    }

    static async Task SwapLoopAsync(IBus bus, IModelRegistryStore registry, List<RegisteredVersion> versions, CancellationToken cancellationToken)
    {
        var next = 1;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            await Deploy(bus, registry, versions[next % versions.Count]);
            next++;
        }
    }

    /// <summary>Deploys as the Registry does: records the champion, then announces it (Inference acts only on what the record says).</summary>
    public static async Task Deploy(IBus bus, IModelRegistryStore registry, RegisteredVersion v)
    {
        await registry.PromoteAsync(v.ModelName, v.Version);
        await bus.Publish(new ModelDeployed
        {
            ModelName = v.ModelName, Version = v.Version, RunId = v.RunId, Artifact = v.Artifact, Metrics = v.Metrics,
        });
    }

    /// <summary>The worker's own latency of each answer, as it reports it.</summary>
    public ConcurrentQueue<double> ServiceMs { get; } = new();

    void OnAnswer(Guid requestId, double? latencyMs, bool failed)
    {
        if (failed)
            Interlocked.Increment(ref _failed);
        else if (latencyMs is { } ms)
            ServiceMs.Enqueue(ms);
        if (_pending.TryGetValue(requestId, out var p))
            p.Done.TrySetResult(true);
    }

    /// <summary>A scenario's figure from its round trips (answered and failed ones), sorted once.</summary>
    static LatencyFigure Figure(string scenario, int count, int failed, int lost, double seconds, IEnumerable<double> latencies)
    {
        List<double> sorted = [.. latencies.Order()];
        return new LatencyFigure(scenario, count, sorted.Count - failed, failed, lost, seconds, Percentile(sorted, 0.5), Percentile(sorted, 0.99),
            sorted.Count == 0 ? double.NaN : sorted[^1]);
    }

    public static double Percentile(List<double> values, double q)
    {
        if (values.Count == 0)
            return double.NaN;
        values.Sort();
        return values[Math.Min(values.Count - 1, (int)Math.Ceiling(q * values.Count) - 1)];
    }
}
