using Microsoft.Extensions.Options;
using NeuralTrade.Events.Contracts;
using NeuralTrade.Events.MarketData;
using NeuralTrade.Events.Modeling;
using NeuralTrade.Events.Stores;

namespace NeuralTrade.Events.Workers.Monitor;

/// <summary>
/// The features window of each series and feature spec: the features of the candles each <c>data.ingested</c> announces,
/// computed by the shared feature implementation with the same history the model is served with, and read back for
/// data drift. Each keeps <see cref="MonitorOptions.FeatureWindow"/> + <see cref="MonitorOptions.ReferenceWindow"/> rows:
/// the newest are the window measured, the ones before it the reference a check without a champion compares it with.
/// </summary>
internal sealed class FeatureWindows(IMonitorStore store, ICandleStore candleStore, IOptions<MonitorOptions> options)
{
    MonitorOptions Settings => options.Value;

    /// <summary>
    /// Appends the features of the ingested candles (at most a window and its reference's worth). The candles are read from
    /// <paramref name="historyFrom"/> when that is earlier than the features need, so that one read also serves the
    /// outcome labelling. Returns the candles read and their features, or null when the store holds none.
    /// </summary>
    public async Task<(IReadOnlyList<Candle> Candles, FeatureMatrix Features)?> UpdateAsync(SeriesKey series, DataIngested ingested, FeatureSpec spec,
        DateTimeOffset? historyFrom, CancellationToken cancellationToken)
    {
        var interval = Intervals.LengthOf(series.Interval);
        // Features of the new candles (at most what the store keeps), with the history the model is served with: Wilder's
        // RSI and ATR remember their start, so rows computed from a shorter history would differ from what the model saw.
        var rowsFrom = Max(ingested.FirstOpenTime, ingested.LastOpenTime - interval * (Capacity - 1));
        var from = rowsFrom - interval * (spec.Warmup + ServingWindow.SmoothingHistory);
        if (historyFrom is { } needed)
            from = Min(from, needed);
        var candles = await candleStore.GetRangeAsync(series, from, ingested.LastOpenTime, cancellationToken);
        if (candles.Count == 0)
            return null;
        var features = FeatureCalculator.Compute(candles, spec);

        var rows = new List<WindowEntry>();
        for (var t = features.FirstValid; t < candles.Count; t++)
        {
            if (candles[t].OpenTime >= rowsFrom)
                rows.Add(new WindowEntry(candles[t].OpenTime.ToUnixTimeSeconds(), WindowCodec.EncodeFeatures(features.Row(t))));
        }

        if (rows.Count > 0)
            await store.AppendAsync(MonitorKeys.FeaturesWindow(series, spec.Id), rows, Capacity, cancellationToken);
        return (candles, features);
    }

    /// <summary>The series' features window for <paramref name="spec"/>, oldest first.</summary>
    public Task<IReadOnlyList<WindowEntry>> ReadAsync(SeriesKey series, FeatureSpec spec, CancellationToken cancellationToken) =>
        ReadAsync(series, spec, Settings.FeatureWindow, cancellationToken);

    /// <summary>The newest <paramref name="count"/> rows the store keeps for <paramref name="spec"/> (the window and its reference at most), oldest first.</summary>
    public Task<IReadOnlyList<WindowEntry>> ReadAsync(SeriesKey series, FeatureSpec spec, int count, CancellationToken cancellationToken) =>
        store.ReadAsync(MonitorKeys.FeaturesWindow(series, spec.Id), Math.Min(count, Capacity), cancellationToken);

    /// <summary>Rows kept per series and spec: the window and its reference.</summary>
    int Capacity => Settings.FeatureWindow + Settings.ReferenceWindow;

    static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;

    static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;
}
