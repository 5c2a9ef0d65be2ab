using System.Text.Json;
using MassTransit;
using Microsoft.Extensions.Options;
using NeuralTrade.Events.Contracts;
using NeuralTrade.Events.Modeling.Search;
using NeuralTrade.Events.MarketData;
using NeuralTrade.Events.Messaging;
using NeuralTrade.Events.Modeling;
using NeuralTrade.Events.Stores;

namespace NeuralTrade.Events.Workers.Training;

/// <summary>
/// Checks a training request at once and turns it into a durable job; the job runner trains. A bad request
/// (unknown series, too little data, invalid hyperparameters) is answered with training.failed, not retried.
/// The message is acknowledged in milliseconds, so a long job never meets RabbitMQ's consumer timeout.
/// </summary>
public sealed partial class TrainingRequestedConsumer(ICandleStore store, CandleValidator validator, ITrainingJobStore jobs,
    IOptions<TrainingOptions> options, ILogger<TrainingRequestedConsumer> logger)
    : IConsumer<TrainingRequested>
{
    public const string QueueName = "training";

    public async Task Consume(ConsumeContext<TrainingRequested> context)
    {
        var request = context.Message;
        var problem = await CheckAsync(request, context.CancellationToken);
        if (problem is not null)
        {
            LogRefused(request.RequestId, problem);
            TrainingTelemetry.Jobs.Add(1, new KeyValuePair<string, object?>("outcome", "refused"));
            await context.Publish(new TrainingFailed
            {
                EventId = DeterministicGuid.Create($"{request.RequestId}|training.failed|refused"),
                CorrelationId = request.CorrelationId,
                RequestId = request.RequestId,
                Error = problem,
            }, context.CancellationToken);
            return;
        }

        var json = JsonSerializer.Serialize(request, ContractJson.Options);
        if (await jobs.EnqueueAsync(request.RequestId, json, context.CancellationToken))
            LogQueued(request.RequestId, $"{request.Exchange}:{request.Symbol}:{request.Interval}");
        else
            LogAlreadyKnown(request.RequestId);
    }

    async Task<string?> CheckAsync(TrainingRequested request, CancellationToken cancellationToken)
    {
        if (request.RequestId == Guid.Empty)
            return "requestId is required.";
        var seriesProblems = validator.ValidateSeries(request.Exchange, request.Symbol, request.Interval);
        if (seriesProblems.Count > 0)
            return "invalid series: " + string.Join(" ", seriesProblems.Select(r => r.Message));
        if (request.From is { } from && request.To is { } to && from >= to)
            return $"from {from:O} must be before to {to:O}.";

        var hp = Hyperparameters.Apply(request.Hyperparameters, out var problems);
        if (problems.Count > 0)
            return "invalid hyperparameters: " + string.Join("; ", problems);
        SearchPlan? search = null;
        if (request.Search is { } searchRequest)
        {
            if (hp.WalkForwardFolds > 0)
                return "a search cannot also run a walk-forward: evaluate the best recipe with neuraltrade evaluate afterwards.";
            search = SearchRequests.Plan(searchRequest, hp with { Seeds = 1 }, out var searchProblems);
            if (search is null)
                return "invalid search: " + string.Join("; ", searchProblems);
        }

        var series = new SeriesKey(request.Exchange!, request.Symbol!, request.Interval!);
        var count = await CountCandlesAsync(series, request, cancellationToken);
        if (count == 0)
            return $"no candles are stored for {series}{Range(request)}; ingest some first.";
        var needed = SignalDataset.CandlesNeeded(hp.MinSamples, hp.WindowSize, hp.Labels);
        if (count < needed)
            return $"{series} holds {count} candles{Range(request)}; training needs at least {needed} " +
                $"({hp.MinSamples} samples of window {hp.WindowSize}, horizon {hp.Horizon}).";
        return search is null ? OverBudget(series, request, hp, count) : SearchOverBudget(series, search, count);
    }

    /// <summary>A search's budget: every trial's estimated cost at its whole budget of epochs, one seed each, together.</summary>
    string? SearchOverBudget(SeriesKey series, SearchPlan search, long count)
    {
        var limits = options.Value;
        if (count > limits.MaxCandles)
            return $"{series} holds {count:N0} candles; a request trains on at most {limits.MaxCandles:N0} (Training:MaxCandles): narrow it with from/to.";
        var largest = search.Trials.MaxBy(t => TrainingBudget.EstimatedFlops(t.Recipe, count))!;
        if (TrainingBudget.EstimatedFlops(largest.Recipe, count) > limits.MaxTrainingFlops)
            return $"trial {largest.Index} ({largest.Describe()}) would cost about {TrainingBudget.EstimatedFlops(largest.Recipe, count):E1} floating-point " +
                $"operations ({count:N0} candles); this trainer's budget for one training is {limits.MaxTrainingFlops:E1} (Training:MaxTrainingFlops).";
        var flops = search.Trials.Sum(t => TrainingBudget.EstimatedFlops(t.Recipe, count));
        return flops > limits.MaxSearchFlops
            ? $"the search's {search.Trials.Count} trials would cost about {flops:E1} floating-point operations together ({count:N0} candles); " +
              $"this trainer's search budget is {limits.MaxSearchFlops:E1} (Training:MaxSearchFlops): fewer trials, smaller models or fewer epochs."
            : null;
    }

    /// <summary>
    /// The size and compute budget, checked on the count alone, before any candle is read. A walk-forward
    /// (<see cref="Hyperparameters.WalkForwardFolds"/>) must fit the candles, and its folds' training counts too.
    /// </summary>
    string? OverBudget(SeriesKey series, TrainingRequested request, Hyperparameters hp, long count)
    {
        var limits = options.Value;
        if (count > limits.MaxCandles)
            return $"{series} holds {count:N0} candles{Range(request)}; a request trains on at most {limits.MaxCandles:N0} " +
                "(Training:MaxCandles): narrow it with from/to.";
        var flops = TrainingBudget.EstimatedFlops(hp, count);
        var walkForward = "";
        if (hp.WalkForwardFolds > 0)
        {
            IReadOnlyList<FoldLayout> folds;
            try
            {
                folds = WalkForwardFolds(hp, count);
            }
            catch (NotEnoughDataException e)
            {
                return $"walkForwardFolds {hp.WalkForwardFolds}: {e.Message}";
            }

            // Each fold trains one model on its history (train and validation): about as many candles as samples before its test block.
            flops += folds.Sum(f => TrainingBudget.EstimatedFlops(hp, f.Validation.End));
            walkForward = $", and a walk-forward of {hp.WalkForwardFolds} folds";
        }

        if (flops > limits.MaxTrainingFlops)
            return $"the request would cost about {flops:E1} floating-point operations ({count:N0} candles, {hp.Epochs} epochs, window " +
                $"{hp.WindowSize}, hidden {hp.HiddenSize} × {hp.NumLayers} layers{walkForward}); this trainer's budget is {limits.MaxTrainingFlops:E1} " +
                "(Training:MaxTrainingFlops).";
        return null;
    }

    /// <summary>The walk-forward's folds on <paramref name="candles"/> candles, laid out as <see cref="WalkForward.Run"/> will.</summary>
    static IReadOnlyList<FoldLayout> WalkForwardFolds(Hyperparameters hp, long candles)
    {
        var samples = candles - SignalDataset.CandlesNeeded(0, hp.WindowSize, hp.Labels);
        return WalkForward.Layout((int)Math.Clamp(samples, 0, int.MaxValue), hp.WalkForwardFolds, hp.Horizon, hp.Horizon,
            hp.ValidationFraction / (hp.TrainFraction + hp.ValidationFraction), new WalkForwardOptions().MinTrainSamples);
    }

    /// <summary>The candles the request would train on, counted by the store without reading them (the run reads them once).</summary>
    Task<long> CountCandlesAsync(SeriesKey series, TrainingRequested request, CancellationToken cancellationToken) =>
        store.CountAsync(series, request.From, request.To, cancellationToken);

    static string Range(TrainingRequested r) => r.From is null && r.To is null ? "" : $" between {r.From:O} and {r.To:O}";

    [LoggerMessage(Level = LogLevel.Warning, Message = "Training request {RequestId} refused: {Problem}")]
    partial void LogRefused(Guid requestId, string problem);

    [LoggerMessage(Level = LogLevel.Information, Message = "Training request {RequestId} for {Series} queued")]
    partial void LogQueued(Guid requestId, string series);

    [LoggerMessage(Level = LogLevel.Information, Message = "Training request {RequestId} is already known; acknowledged without effect")]
    partial void LogAlreadyKnown(Guid requestId);
}
