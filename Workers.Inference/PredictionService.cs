using System.Diagnostics;
using Microsoft.Extensions.Options;
using NeuralTrade.Events.Contracts;
using NeuralTrade.Events.MarketData;
using NeuralTrade.Events.Messaging;
using NeuralTrade.Events.Modeling;
using NeuralTrade.Events.Stores;

namespace NeuralTrade.Events.Workers.Inference;

/// <summary>
/// One prediction for a series: the champion in service, the window (given, or the newest stored), validated like
/// Ingest validates, features from the modeling library, the batched forward pass, the risk, the cache.
/// </summary>
public sealed class PredictionService(ModelCatalog catalog, BatchingPredictor predictor, ICandleStore store, CandleValidator validator,
    IPredictionCache cache, IOptions<InferenceOptions> options)
{
    /// <param name="series">The series.</param>
    /// <param name="requestId">The request answered; null for a streamed prediction.</param>
    /// <param name="correlationId">Carried to the answer.</param>
    /// <param name="given">The caller's window; null or empty: a stored one.</param>
    /// <param name="asOf">By reference: the stored window whose newest candle opens then; null: the newest stored window.</param>
    /// <param name="cancellationToken">Stops the store reads.</param>
    public async Task<PredictionOutcome> PredictAsync(SeriesKey series, Guid? requestId, Guid correlationId, IReadOnlyList<Candle>? given,
        DateTimeOffset? asOf, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        var kind = requestId is null ? "streamed" : "requested";
        PredictionOutcome Fail(string code, string error, IReadOnlyList<RejectionReason>? reasons = null) =>
            Failed(series, requestId, correlationId, kind, code, error, reasons);

        var seriesProblems = validator.ValidateSeries(series.Exchange, series.Symbol, series.Interval);
        if (seriesProblems.Count > 0)
            return Fail("invalid_request", "invalid series: " + string.Join(" ", seriesProblems.Select(r => r.Message)));
        if (given is { Count: > 0 } && asOf is not null)
            return Fail("invalid_request", "the request carries both candles and asOf; send candles to score your own window, or asOf to score the stored one");

        var modelName = ModelNames.For(series);
        using var lease = catalog.Acquire(modelName);
        if (lease is null)
            return Fail("no_model", $"no model serves {series} yet ({modelName} has no champion); train one with training.requested");
        var model = lease.Served.Model;

        IReadOnlyList<Candle> candles;
        if (given is { Count: > 0 })
        {
            if (given.Count > options.Value.MaxRequestCandles)
                return Fail("invalid_request", $"the request carries {given.Count} candles; at most {options.Value.MaxRequestCandles} are read");
            var reasons = Check(given, series);
            if (reasons.Count > 0)
                return Fail("invalid_candles", $"{reasons.Select(r => r.Index).Distinct().Count()} of {given.Count} candles are invalid", reasons);
            candles = given;
        }
        else if (asOf is { } upTo)
        {
            candles = await store.GetLatestAsync(series, ServingWindow.CandlesWanted(model), upTo, cancellationToken);
            if (candles.Count == 0 || candles[^1].OpenTime != upTo)
                return Fail("not_enough_data", $"no candle of {series} is stored at asOf {upTo:O}" +
                    (candles.Count == 0 ? "; none is stored at or before it" : $"; the newest at or before it opens at {candles[^1].OpenTime:O}"));
        }
        else
        {
            candles = await store.GetLatestAsync(series, ServingWindow.CandlesWanted(model), cancellationToken);
        }

        if (candles.Count < ServingWindow.CandlesNeeded(model))
            return Fail("not_enough_data",
                $"{candles.Count} candles of {series} {(given is { Count: > 0 } ? "given" : "available")}; {modelName} v{lease.Served.Version} needs " +
                $"{ServingWindow.CandlesNeeded(model)} ({ServingWindow.IndicatorHistory} of indicator history + feature warm-up + window {model.Manifest.WindowSize}, " +
                $"so that its features match training's within {ServingWindow.ParityTolerance} σ)");

        var windowAsOf = candles[^1].OpenTime;
        var modelRef = new ModelRef(modelName, lease.Served.Version);
        // Only predictions from the stored window are cached (and so streamed or shared): a caller's own candles answer that caller alone.
        // The cache keeps the newest: a request by reference reads it, and only one for the newest window (no asOf) writes it.
        var fromStore = given is not { Count: > 0 };
        if (fromStore && await cache.GetAsync(series, windowAsOf, modelRef, cancellationToken) is { } cached)
        {
            InferenceTelemetry.Predictions.Add(1, new("kind", kind), new("outcome", "cached"));
            return new PredictionOutcome(cached with
            {
                EventId = Id(series, windowAsOf, modelRef, requestId), CorrelationId = correlationId, RequestId = requestId,
                OccurredAt = DateTimeOffset.UtcNow, LatencyMs = Math.Round(watch.Elapsed.TotalMilliseconds, 3),
            }, null);
        }

        float[] window;
        try
        {
            window = ServingWindow.Latest(model, candles);
        }
        catch (NotEnoughDataException e) // a gap inside the window beyond the model's tolerance
        {
            return Fail("not_enough_data", $"{series}: {e.Message}");
        }

        var probabilities = await predictor.PredictAsync(lease, window);
        var prediction = Answer(series, requestId, correlationId, candles, model, modelRef, probabilities, watch.Elapsed);
        if (fromStore && asOf is null)
            await cache.SetAsync(series, prediction, Intervals.LengthOf(series.Interval), cancellationToken);
        InferenceTelemetry.Predictions.Add(1, new("kind", kind), new("outcome", "answered"));
        InferenceTelemetry.Latency.Record(watch.Elapsed.TotalMilliseconds);
        return new PredictionOutcome(prediction, null);
    }

    static PredictionOutcome Failed(SeriesKey series, Guid? requestId, Guid correlationId, string kind, string code, string error,
        IReadOnlyList<RejectionReason>? reasons)
    {
        InferenceTelemetry.Predictions.Add(1, new("kind", kind), new("outcome", "failed"));
        return new PredictionOutcome(null, new PredictionFailed
        {
            EventId = DeterministicGuid.Create($"{requestId ?? correlationId}|prediction.failed"),
            CorrelationId = correlationId,
            RequestId = requestId ?? Guid.Empty,
            Exchange = series.Exchange, Symbol = series.Symbol, Interval = series.Interval,
            Code = code, Error = error, Reasons = reasons,
        });
    }

    /// <summary>Every reason a caller's candles cannot be used: invalid, of another series, or not in ascending time.</summary>
    List<RejectionReason> Check(IReadOnlyList<Candle> given, SeriesKey series)
    {
        var reasons = new List<RejectionReason>();
        for (var i = 0; i < given.Count; i++)
        {
            reasons.AddRange(validator.Validate(given[i], i).Reasons);
            if (SeriesKey.Of(given[i]) != series)
                reasons.Add(new RejectionReason(i, "other_series", null, $"candle {i} belongs to {SeriesKey.Of(given[i])}, the request to {series}"));
            else if (i > 0 && given[i].OpenTime <= given[i - 1].OpenTime)
                reasons.Add(new RejectionReason(i, "not_ascending", "openTime", $"candle {i} does not open after candle {i - 1}"));
        }

        return reasons;
    }

    /// <summary>The signal (the most likely class; ties to sell, then buy), its confidence, the probabilities and the risk.</summary>
    static PredictionCompleted Answer(SeriesKey series, Guid? requestId, Guid correlationId, IReadOnlyList<Candle> candles, LoadedModel model,
        ModelRef modelRef, float[] p, TimeSpan elapsed)
    {
        var asOf = candles[^1].OpenTime;
        var best = p[0] >= p[1] && p[0] >= p[2] ? Signal.Sell : p[2] > p[1] ? Signal.Buy : Signal.Hold;
        var confidence = Math.Round(p[(int)best], 6);
        return new PredictionCompleted
        {
            EventId = Id(series, asOf, modelRef, requestId),
            CorrelationId = correlationId,
            RequestId = requestId,
            Exchange = series.Exchange, Symbol = series.Symbol, Interval = series.Interval,
            AsOf = asOf,
            Signal = best,
            Confidence = confidence,
            Probabilities = new SignalProbabilities(Math.Round(p[0], 6), Math.Round(p[1], 6), Math.Round(p[2], 6)),
            Risk = RiskAssessor.Assess(candles.Skip(candles.Count - model.Manifest.WindowSize).ToList(), best, confidence),
            Model = modelRef,
            LatencyMs = Math.Round(elapsed.TotalMilliseconds, 3),
        };
    }

    /// <summary>A request's answer has an id from the request; a streamed one from (series, asOf, model), so a redelivery repeats it.</summary>
    static Guid Id(SeriesKey series, DateTimeOffset asOf, ModelRef model, Guid? requestId) =>
        DeterministicGuid.Create(requestId is { } r ? $"{r}|prediction.completed" : $"{series}|{asOf:O}|{model.Name}|{model.Version}|prediction.completed");
}
