using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Options;
using NeuralTrade.Events.Contracts;
using NeuralTrade.Events.MarketData;
using NeuralTrade.Events.Messaging;
using NeuralTrade.Events.Stores;

namespace NeuralTrade.Events.Workers.Monitor;

/// <summary>
/// When drift asks for retraining: a statistic whose level and announced level both reach
/// <see cref="MonitorOptions.RetrainSeverity"/>, at most once per series per <see cref="MonitorOptions.RetrainCooldownCandles"/>
/// (and <see cref="MonitorOptions.RetrainCooldown"/> of candle time, when set), and not at all unless
/// <see cref="MonitorOptions.Retrain"/>. The <c>training.requested</c> (reason <c>drift</c>) reaches back
/// <see cref="MonitorOptions.RetrainLookbackCandles"/> (or <see cref="MonitorOptions.RetrainLookback"/>) and repeats the
/// champion's recipe; the series' retrain hash remembers it. Only a champion's drift asks: without one there is no recipe.
/// </summary>
internal sealed class RetrainPolicy(IMonitorStore store, IOptions<MonitorOptions> options)
{
    MonitorOptions Settings => options.Value;

    /// <summary>The request that the states after a check call for, or null for none.</summary>
    public async Task<TrainingRequested?> DecideAsync(SeriesKey series, MonitoredModel model, IReadOnlyList<DriftState> states, DateTimeOffset now,
        Guid correlationId, CancellationToken cancellationToken)
    {
        var level = Settings.RetrainSeverity == DriftSeverity.High ? 2 : 1;
        // Retraining follows an announced episode at that level, never a level the cooldown kept quiet.
        var severe = states.Any(s => s.Level >= level && s.Announced >= level);
        if (!severe || !Settings.Retrain)
            return null;
        var retrainState = await store.ReadStateAsync(MonitorKeys.Retrain(series), cancellationToken);
        var last = retrainState.TryGetValue("last", out var text)
            ? WindowCodec.DecodeTime(long.Parse(text, CultureInfo.InvariantCulture))
            : (DateTimeOffset?)null;
        var interval = Intervals.LengthOf(series.Interval);
        if (!new CandleCooldown(Settings.RetrainCooldownCandles, interval, Settings.RetrainCooldown).HasPassed(last, now))
            return null;

        var requestId = DeterministicGuid.Create($"retrain|{series}|{now.ToUnixTimeSeconds()}");
        return new TrainingRequested
        {
            EventId = requestId,
            CorrelationId = correlationId,
            RequestId = requestId,
            Exchange = series.Exchange,
            Symbol = series.Symbol,
            Interval = series.Interval,
            From = Settings.RetrainLookbackCandles is { } candles ? now - interval * (candles - 1)
                : Settings.RetrainLookback is { } lookback ? now - lookback : null,
            Hyperparameters = RecipeOf(model),
            Reason = DriftMonitor.RetrainReason,
        };
    }

    /// <summary>The events with action <c>training.requested</c> on each that no other action claims and is at least the retrain severity.</summary>
    public IReadOnlyList<DriftDetected> MarkRequested(IReadOnlyList<DriftDetected> events) =>
        events.Select(e => e.Action is null && e.Severity >= Settings.RetrainSeverity ? e with { Action = DriftMonitor.RetrainAction } : e).ToList();

    /// <summary>Remembers a published request: its candle time starts the series' retrain cooldown.</summary>
    public Task RecordAsync(SeriesKey series, TrainingRequested request, DateTimeOffset now, CancellationToken cancellationToken) =>
        store.WriteStateAsync(MonitorKeys.Retrain(series), new Dictionary<string, string>
        {
            ["last"] = now.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture),
            ["requestId"] = request.RequestId.ToString(),
        }, cancellationToken);

    /// <summary>The champion's own hyperparameters: a retrain repeats its recipe on newer data.</summary>
    static Dictionary<string, JsonElement>? RecipeOf(MonitoredModel model)
    {
        var recipe = new Dictionary<string, JsonElement>();
        foreach (var (name, text) in model.Manifest.Hyperparameters)
        {
            if (long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var whole))
                recipe[name] = JsonSerializer.SerializeToElement(whole);
            else if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number))
                recipe[name] = JsonSerializer.SerializeToElement(number);
        }

        return recipe.Count > 0 ? recipe : null;
    }
}
