using System.Collections.Concurrent;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using NeuralTrade.Events.Stores;

namespace NeuralTrade.Events.Workers.Inference;

/// <summary>
/// Loads every champion of the registry state before the bus takes requests, and starts with what loads: a champion
/// whose artifact cannot be read now (MLflow down, an artifact refused) or a registry state that cannot be reached
/// (Redis down) delays only the series concerned. Those are retried in the background, 1 s doubling to 30 s, until
/// they load; the ready check reports them meanwhile (Degraded: some series wait; Unhealthy: the registry state is
/// unreachable), and their prediction requests are answered with <c>prediction.failed</c> as for any series without
/// a model.
/// </summary>
public sealed partial class ChampionLoader(IModelRegistryStore registry, ModelSwapper swapper, ILogger<ChampionLoader> logger)
    : IHostedService, IHealthCheck, IDisposable
{
    static readonly TimeSpan FirstDelay = TimeSpan.FromSeconds(1), LongestDelay = TimeSpan.FromSeconds(30);
    readonly ConcurrentDictionary<string, string> _waiting = new(StringComparer.Ordinal);
    readonly CancellationTokenSource _stopping = new();
    volatile string? _registryUnreachable;
    volatile int _loaded;
    Task? _retrying;

    /// <summary>The model names whose champion is not loaded yet, with the last reason.</summary>
    public IReadOnlyDictionary<string, string> Waiting => _waiting;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (await LoadAsync(cancellationToken))
            return;
        _retrying = Task.Run(() => RetryAsync(_stopping.Token), CancellationToken.None);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        if (_retrying is { } retrying)
            await retrying.WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    async Task RetryAsync(CancellationToken cancellationToken)
    {
        var delay = FirstDelay;
        try
        {
            while (true)
            {
                await Task.Delay(delay, cancellationToken);
                if (await LoadAsync(cancellationToken))
                {
                    LogAllLoaded(_loaded);
                    return;
                }

                delay = delay * 2 > LongestDelay ? LongestDelay : delay * 2;
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>One pass over the champions of record; true when every one of them serves.</summary>
    async Task<bool> LoadAsync(CancellationToken cancellationToken)
    {
        IReadOnlyList<RegisteredVersion> champions;
        try
        {
            champions = await registry.GetChampionsAsync(cancellationToken);
            _registryUnreachable = null;
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            _registryUnreachable = e.Message;
            LogRegistryUnreachable(e.Message);
            return false;
        }

        foreach (var name in _waiting.Keys.Except(champions.Select(c => c.ModelName)))
            _waiting.TryRemove(name, out _); // no longer a champion of record: nothing to wait for

        var loaded = 0;
        foreach (var champion in champions)
        {
            try
            {
                await swapper.SwapAsync(champion.ModelName, champion.Version, champion.Artifact, cancellationToken);
                _waiting.TryRemove(champion.ModelName, out _);
                loaded++;
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                var first = _waiting.TryAdd(champion.ModelName, e.Message);
                _waiting[champion.ModelName] = e.Message;
                if (first)
                    LogChampionWaiting(champion.ModelName, champion.Version, e.Message);
            }
        }

        _loaded = loaded;
        return _waiting.IsEmpty;
    }

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (_registryUnreachable is { } why)
            return Task.FromResult(HealthCheckResult.Unhealthy($"the registry state is unreachable, champions not loaded yet: {why}"));
        if (!_waiting.IsEmpty)
        {
            return Task.FromResult(HealthCheckResult.Degraded(
                $"{_waiting.Count} champion(s) not loaded yet, retrying: " + string.Join("; ", _waiting.OrderBy(w => w.Key, StringComparer.Ordinal).Select(w => $"{w.Key}: {w.Value}")),
                data: _waiting.ToDictionary(w => w.Key, w => (object)w.Value)));
        }

        return Task.FromResult(HealthCheckResult.Healthy());
    }

    public void Dispose() => _stopping.Dispose();

    [LoggerMessage(Level = LogLevel.Error, Message = "Champion {ModelName} v{Version} could not be loaded; its series waits, retrying in the background: {Error}")]
    partial void LogChampionWaiting(string modelName, int version, string error);

    [LoggerMessage(Level = LogLevel.Error, Message = "The registry state is unreachable; champions will be loaded when it answers: {Error}")]
    partial void LogRegistryUnreachable(string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Every champion of record is loaded now ({Count})")]
    partial void LogAllLoaded(int count);
}
