using Microsoft.Extensions.Options;
using NeuralTrade.Events.Contracts;
using NeuralTrade.Events.MarketData;
using NeuralTrade.Events.Modeling;
using NeuralTrade.Events.Stores;

namespace NeuralTrade.Events.Workers.Monitor;

/// <summary>
/// Streamed predictions and what became of them, per model version: each streamed prediction goes into its version's
/// predictions window; once its horizon has passed it is scored with the training labels' own definition
/// (<see cref="SignalDataset.RealisedLabel"/>) into the outcomes window that concept drift reads.
/// </summary>
internal sealed class OutcomeLabeller(IMonitorStore store, IOptions<MonitorOptions> options)
{
    MonitorOptions Settings => options.Value;

    /// <summary>Records a streamed prediction in its model version's window. Answers to requests are not counted (see README).</summary>
    public async Task RecordAsync(PredictionCompleted prediction, CancellationToken cancellationToken)
    {
        if (prediction.RequestId is not null)
        {
            MonitorTelemetry.Predictions.Add(1, new KeyValuePair<string, object?>("outcome", "skipped_requested"));
            return;
        }

        var series = new SeriesKey(prediction.Exchange, prediction.Symbol, prediction.Interval);
        var value = WindowCodec.EncodePrediction(prediction.Signal, prediction.Confidence);
        var entry = new WindowEntry(prediction.AsOf.ToUnixTimeSeconds(), value);
        var window = MonitorKeys.PredictionsWindow(series, prediction.Model.Name, prediction.Model.Version);
        await store.AppendAsync(window, [entry], Settings.PredictionWindow, cancellationToken);
        MonitorTelemetry.Predictions.Add(1, new KeyValuePair<string, object?>("outcome", "recorded"));
    }

    /// <summary>The recorded predictions not labelled yet whose horizon has passed by <paramref name="lastOpenTime"/>, oldest first.</summary>
    public async Task<IReadOnlyList<WindowEntry>> PendingAsync(SeriesKey series, MonitoredModel model, DateTimeOffset lastOpenTime,
        CancellationToken cancellationToken)
    {
        var interval = Intervals.LengthOf(series.Interval);
        var predictions = await store.ReadAsync(MonitorKeys.PredictionsWindow(series, model.Name, model.Version), Settings.PredictionWindow,
            cancellationToken);
        var outcomes = await store.ReadAsync(MonitorKeys.OutcomesWindow(series, model.Name, model.Version), 1, cancellationToken);
        var labelledUpTo = outcomes.Count > 0 ? outcomes[^1].Time : long.MinValue;
        var cutoff = (lastOpenTime - interval * model.Manifest.Labels.Horizon).ToUnixTimeSeconds();
        return predictions.Where(p => p.Time > labelledUpTo && p.Time <= cutoff).ToList();
    }

    /// <summary>The first candle that labelling <paramref name="pending"/> needs (its features' warmup included), or null for none.</summary>
    public static DateTimeOffset? HistoryFrom(IReadOnlyList<WindowEntry> pending, MonitoredModel model, TimeSpan interval) =>
        pending.Count > 0 ? WindowCodec.DecodeTime(pending[0].Time) - interval * (model.FeatureSpec.Warmup + 1) : null;

    /// <summary>Scores <paramref name="pending"/> against <paramref name="candles"/> and appends the outcomes to the model version's window.</summary>
    public async Task LabelAsync(SeriesKey series, MonitoredModel model, IReadOnlyList<WindowEntry> pending, IReadOnlyList<Candle> candles,
        FeatureMatrix features, CancellationToken cancellationToken)
    {
        var index = new Dictionary<long, int>(candles.Count);
        for (var t = 0; t < candles.Count; t++)
            index[candles[t].OpenTime.ToUnixTimeSeconds()] = t;
        var labelled = new List<WindowEntry>();
        foreach (var p in pending)
        {
            // A prediction whose candle or horizon is missing from the store (a gap) cannot be scored; it is skipped.
            if (!index.TryGetValue(p.Time, out var t)
                || SignalDataset.RealisedLabel(candles, features, model.Manifest.Labels, t, CandleGaps.MaxGapCandlesOf(model.Manifest.Hyperparameters)) is not { } actual)
                continue;
            labelled.Add(new WindowEntry(p.Time, WindowCodec.EncodeOutcome(WindowCodec.DecodePrediction(p.Value).Signal, actual)));
        }

        if (labelled.Count == 0)
            return;
        var window = MonitorKeys.OutcomesWindow(series, model.Name, model.Version);
        await store.AppendAsync(window, labelled, Settings.OutcomeWindow, cancellationToken);
    }

    /// <summary>The model version's predictions window, as prediction drift reads it.</summary>
    public Task<IReadOnlyList<WindowEntry>> ReadPredictionsAsync(SeriesKey series, MonitoredModel model, CancellationToken cancellationToken) =>
        store.ReadAsync(MonitorKeys.PredictionsWindow(series, model.Name, model.Version), Settings.PredictionWindow, cancellationToken);

    /// <summary>The model version's outcomes window, as concept drift reads it.</summary>
    public Task<IReadOnlyList<WindowEntry>> ReadOutcomesAsync(SeriesKey series, MonitoredModel model, CancellationToken cancellationToken) =>
        store.ReadAsync(MonitorKeys.OutcomesWindow(series, model.Name, model.Version), Settings.OutcomeWindow, cancellationToken);
}
