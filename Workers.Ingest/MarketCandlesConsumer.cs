using System.Diagnostics;
using System.Text.Json;
using MassTransit;
using Microsoft.Extensions.Options;
using NeuralTrade.Events.Contracts;
using NeuralTrade.Events.MarketData;
using NeuralTrade.Events.Messaging;
using NeuralTrade.Events.Stores;

namespace NeuralTrade.Events.Workers.Ingest;

/// <summary>
/// Validates every candle of a <c>market.candles</c> message, stores the valid ones per series, and
/// announces what is new (<c>data.ingested</c>, one per series) and what was refused (<c>data.rejected</c>).
/// Redelivery-safe: the store's receipt replays a stored batch's outcome, events carry ids derived from the
/// message, and a finished message is recorded in the ledger and acknowledged without effect next time.
/// </summary>
public sealed partial class MarketCandlesConsumer(
    ICandleStore store,
    IMessageLedger ledger,
    CandleValidator validator,
    IOptions<IngestOptions> options,
    ILogger<MarketCandlesConsumer> logger) : IConsumer<IncomingCandles>
{
    public const string QueueName = "ingest";

    /// <summary>Fault points (<see cref="FaultPoints"/>): after the candles are stored, after they are announced, after the ledger records the message.</summary>
    public const string AfterStore = "ingest.after-store", AfterPublish = "ingest.after-publish", AfterLedger = "ingest.after-ledger";

    /// <summary>Fault point reached with each candle's symbol: arming <c>ingest.candle=SYMBOL</c> makes every message holding that symbol kill the worker (a poison message).</summary>
    public const string CandlePoint = "ingest.candle";

    public async Task Consume(ConsumeContext<IncomingCandles> context)
    {
        var started = Stopwatch.GetTimestamp();
        var cancellationToken = context.CancellationToken;
        var messageKey = MessageKeys.Of(context);
        using var activity = IngestTelemetry.Source.StartActivity("ingest market.candles");

        if (await ledger.IsCompletedAsync(QueueName, messageKey, cancellationToken))
        {
            LogAlreadyProcessed(messageKey);
            IngestTelemetry.Messages.Add(1, new KeyValuePair<string, object?>("outcome", "replayed"));
            return;
        }

        var batch = Read(context);
        if (FaultPoints.Active) // a test's poison; never on the path of a deployment
        {
            foreach (var (_, candle) in batch.Valid)
                FaultPoints.Reach(CandlePoint, candle.Symbol);
        }
        var message = context.Message;
        var correlationId = IncomingCandles.AsGuid(message.CorrelationId) ?? context.CorrelationId
            ?? IncomingCandles.AsGuid(message.EventId) ?? context.MessageId ?? DeterministicGuid.Create(messageKey);
        var (accepted, duplicates) = await StoreAndAnnounceAsync(context, batch, messageKey, correlationId);
        if (batch.Reasons.Count > 0)
            await AnnounceRejectedAsync(context, batch, messageKey, correlationId);
        FaultPoints.Reach(AfterPublish);

        await ledger.MarkCompletedAsync(QueueName, messageKey, cancellationToken);
        FaultPoints.Reach(AfterLedger);

        IngestTelemetry.Candles.Add(accepted, new KeyValuePair<string, object?>("outcome", "accepted"));
        IngestTelemetry.Candles.Add(duplicates, new KeyValuePair<string, object?>("outcome", "duplicate"));
        IngestTelemetry.Messages.Add(1, new KeyValuePair<string, object?>("outcome", "processed"));
        IngestTelemetry.Duration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("neuraltrade.candles.received", batch.Count);
            activity.SetTag("neuraltrade.candles.accepted", accepted);
            activity.SetTag("neuraltrade.candles.duplicate", duplicates);
            activity.SetTag("neuraltrade.candles.rejected", batch.Count - accepted - duplicates);
        }

        LogProcessed(messageKey, batch.Count, accepted, duplicates);
    }

    /// <summary>The message's candles as received, the valid ones with their position, and every reason for the others.</summary>
    sealed record CandleBatch(JsonElement[] Received, List<(int Index, Candle Candle)> Valid, List<RejectionReason> Reasons)
    {
        public int Count => Received.Length;
    }

    /// <summary>Checks the message's shape and limits (an invalid one is refused whole), then reads every candle.</summary>
    CandleBatch Read(ConsumeContext<IncomingCandles> context)
    {
        var bodyLength = context.ReceiveContext.Body.Length ?? context.ReceiveContext.Body.GetBytes().Length;
        var limits = options.Value;
        if (bodyLength > limits.MaxBodyBytes)
            throw Invalid($"the body is {bodyLength} bytes, above the limit of {limits.MaxBodyBytes} bytes.");

        var message = context.Message;
        if (message.Candles is not { ValueKind: JsonValueKind.Array } candles)
            throw Invalid(message.Candles is null or { ValueKind: JsonValueKind.Null or JsonValueKind.Undefined }
                ? "the body has no 'candles' array; expected {\"candles\":[{exchange, symbol, interval, openTime, open, high, low, close, volume}, ...]}."
                : $"'candles' must be an array, got {message.Candles.Value.ValueKind}.");

        var count = candles.GetArrayLength();
        if (count == 0 || count > limits.MaxCandlesPerMessage)
            throw Invalid($"'candles' holds {count} candles; a message carries 1 to {limits.MaxCandlesPerMessage}.");

        var batch = new CandleBatch(new JsonElement[count], new List<(int, Candle)>(count), []);
        var index = 0;
        foreach (var element in candles.EnumerateArray())
        {
            batch.Received[index] = element;
            var check = validator.Read(element, index);
            if (check.IsValid)
                batch.Valid.Add((index, check.Candle!));
            else
                batch.Reasons.AddRange(check.Reasons);
            index++;
        }

        return batch;
    }

    /// <summary>Stores the valid candles per series and publishes one <c>data.ingested</c> per series with new candles.</summary>
    async Task<(int Accepted, int Duplicates)> StoreAndAnnounceAsync(ConsumeContext<IncomingCandles> context, CandleBatch batch, string messageKey,
        Guid correlationId)
    {
        var cancellationToken = context.CancellationToken;
        var accepted = 0;
        var duplicates = 0;
        foreach (var series in batch.Valid.GroupBy(v => SeriesKey.Of(v.Candle)).OrderBy(g => g.Key.ToString(), StringComparer.Ordinal))
        {
            var ordered = series.OrderBy(v => v.Candle.OpenTime).ThenBy(v => v.Index).ToList();
            var appended = await store.AppendAsync(series.Key, ordered.Select(v => v.Candle).ToList(), messageKey, cancellationToken);
            var statuses = appended.Statuses;
            FaultPoints.Reach(AfterStore);

            var added = new List<Candle>();
            for (var i = 0; i < ordered.Count; i++)
            {
                switch (statuses[i])
                {
                    case AppendStatus.Added:
                        added.Add(ordered[i].Candle);
                        break;
                    case AppendStatus.Duplicate:
                        duplicates++;
                        break;
                    default:
                        batch.Reasons.Add(await ConflictReason(series.Key, ordered[i], cancellationToken));
                        break;
                }
            }

            if (added.Count == 0)
                continue;
            accepted += added.Count;
            var gaps = FindGaps(series.Key, added, appended.PreviousLastOpenTime);
            await context.Publish(new DataIngested
            {
                EventId = DeterministicGuid.Create($"{messageKey}|data.ingested|{series.Key}"),
                CorrelationId = correlationId,
                Exchange = series.Key.Exchange,
                Symbol = series.Key.Symbol,
                Interval = series.Key.Interval,
                Candles = added,
                FirstOpenTime = added[0].OpenTime,
                LastOpenTime = added[^1].OpenTime,
                Gaps = gaps,
            }, cancellationToken);
        }

        return (accepted, duplicates);
    }

    /// <summary>
    /// The holes the new candles (ascending) leave where they extend the series: each step longer than one interval from
    /// the newest candle stored before the append, or between two new candles after it. A candle at or before that
    /// newest one came late and fills a hole (reported when the hole appeared); it is not compared. Null when there is none.
    /// </summary>
    IReadOnlyList<CandleGap>? FindGaps(SeriesKey series, List<Candle> added, DateTimeOffset? previousLast)
    {
        var interval = Intervals.LengthOf(series.Interval);
        var warnAbove = options.Value.GapWarningCandles;
        List<CandleGap>? gaps = null;
        var count = 0;
        long missingTotal = 0;
        CandleGap? largest = null;
        var last = previousLast;
        foreach (var candle in added)
        {
            if (candle.OpenTime <= previousLast)
                continue;
            if (last is { } before && (candle.OpenTime - before).Ticks / interval.Ticks - 1 is var missing and > 0)
            {
                var gap = new CandleGap(before, candle.OpenTime, missing);
                count++;
                missingTotal += missing;
                if (largest is null || missing > largest.Missing)
                    largest = gap;
                if (count <= DataIngested.MaxGaps)
                    (gaps ??= []).Add(gap);
            }

            last = candle.OpenTime;
        }

        if (count == 0)
            return null;
        var tag = new KeyValuePair<string, object?>("interval", series.Interval);
        IngestTelemetry.Gaps.Add(count, tag);
        IngestTelemetry.MissingCandles.Add(missingTotal, tag);
        if (largest!.Missing > warnAbove)
            LogGaps(series.ToString(), count, missingTotal, largest.Missing, largest.After, largest.Before, warnAbove);
        return gaps;
    }

    /// <summary>One <c>data.rejected</c> with every reason, in candle order, and the rejected candles as received.</summary>
    async Task AnnounceRejectedAsync(ConsumeContext<IncomingCandles> context, CandleBatch batch, string messageKey, Guid correlationId)
    {
        var reasons = batch.Reasons;
        reasons.Sort((a, b) => a.Index.CompareTo(b.Index));
        var rejectedIndexes = reasons.Select(r => r.Index).Distinct().ToList();
        await context.Publish(new DataRejected
        {
            EventId = DeterministicGuid.Create($"{messageKey}|data.rejected"),
            CorrelationId = correlationId,
            Reasons = reasons,
            Candles = rejectedIndexes.Select(i => batch.Received[i].Clone()).ToList(),
            Source = context.Message.SourceName,
        }, context.CancellationToken);
        IngestTelemetry.Candles.Add(rejectedIndexes.Count, new KeyValuePair<string, object?>("outcome", "rejected"));
        if (logger.IsEnabled(LogLevel.Information))
            LogRejected(rejectedIndexes.Count, batch.Count, messageKey, string.Join("; ", reasons.Take(3).Select(r => $"#{r.Index} {r.Code} {r.Field}")));
    }

    async Task<RejectionReason> ConflictReason(SeriesKey series, (int Index, Candle Candle) received, CancellationToken cancellationToken)
    {
        var stored = await store.GetAsync(series, received.Candle.OpenTime, cancellationToken);
        var storedText = stored is null ? "other values" : $"o={stored.Open} h={stored.High} l={stored.Low} c={stored.Close} v={stored.Volume}";
        var c = received.Candle;
        return new RejectionReason(received.Index, "conflict", null,
            $"{series} already holds a candle at {c.OpenTime:yyyy-MM-dd'T'HH:mm:ss'Z'} with {storedText}; " +
            $"received o={c.Open} h={c.High} l={c.Low} c={c.Close} v={c.Volume}. The stored candle is kept.");
    }

    InvalidMessageException Invalid(string reason)
    {
        IngestTelemetry.Messages.Add(1, new KeyValuePair<string, object?>("outcome", "invalid"));
        return new InvalidMessageException($"market.candles message is not the contract's shape: {reason}");
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Message {MessageKey} was processed before; acknowledged without effect")]
    partial void LogAlreadyProcessed(string messageKey);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Message {MessageKey}: {Received} candles, {Accepted} new, {Duplicates} duplicate")]
    partial void LogProcessed(string messageKey, int received, int accepted, int duplicates);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Series} has {Gaps} new gap(s), {MissingCandles} candles missing; the largest, " +
        "{Largest} candles between {After:O} and {Before:O}, is above Ingest:GapWarningCandles ({WarnAbove})")]
    partial void LogGaps(string series, int gaps, long missingCandles, long largest, DateTimeOffset after, DateTimeOffset before, int warnAbove);

    [LoggerMessage(Level = LogLevel.Information, Message = "Rejected {Rejected} of {Received} candles of message {MessageKey}: {FirstReasons}")]
    partial void LogRejected(int rejected, int received, string messageKey, string firstReasons);
}
