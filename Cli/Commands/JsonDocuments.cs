using System.Text.Json;
using NeuralTrade.Events.Contracts;

namespace NeuralTrade.Events.Cli.Commands;

// What each command prints under --json, serialized with the contract's settings (camelCase, RFC 3339 UTC, nulls left
// out). Member names are part of the tool's interface: add members, never rename or remove one (docs/operations.md).

/// <summary><c>candles publish --json</c>.</summary>
internal sealed record CandlesPublishedJson(string File, string Exchange, string Symbol, string Interval, int Candles, int Messages,
    IReadOnlyList<SkippedLineJson> Skipped, string Broker);

internal sealed record SkippedLineJson(long Line, string Error);

/// <summary>One line of <c>train --json</c>: the event's exchange and its body, as published or as it came.</summary>
internal sealed record TrainEventJson(string Event, JsonElement Message);

/// <summary><c>models list --json</c>.</summary>
internal sealed record ModelsJson(IReadOnlyList<ModelJson> Models);

internal sealed record ModelJson(string Name, int? Champion, IReadOnlyList<ModelVersionJson> Versions);

internal sealed record ModelVersionJson(int Version, bool Champion, string RunId, ArtifactRef Artifact, IReadOnlyDictionary<string, double> Metrics,
    DateTimeOffset RegisteredAt, string Registry);

/// <summary><c>dlq list --json</c>.</summary>
internal sealed record DeadLetterQueuesJson(IReadOnlyList<DeadLetterQueueJson> Queues);

internal sealed record DeadLetterQueueJson(string Name, long Messages, string ReplaysTo);

/// <summary><c>dlq show --json</c>.</summary>
internal sealed record DeadLettersJson(string Queue, uint Total, int Shown, IReadOnlyList<DeadLetterJson> Messages);

/// <summary>
/// A dead letter: its properties, MassTransit's fault headers, and its body, under <c>body</c> as JSON where it is JSON
/// and under <c>text</c> where it is not (a poison message).
/// </summary>
internal sealed record DeadLetterJson(int Position, string? MessageId, string? CorrelationId, string? ContentType, string? Reason,
    string? ExceptionType, string? ExceptionMessage, string? Consumer, string? FailedAt, string? Retries, string? Host, JsonElement? Body, string? Text,
    string? StackTrace);

/// <summary><c>dlq replay --json</c>.</summary>
internal sealed record ReplayedJson(string Queue, string To, int Replayed);

/// <summary><c>dlq purge --json</c>; <c>id</c> only where one message was purged by --id.</summary>
internal sealed record PurgedJson(string Queue, long Purged, string? Id);

/// <summary><c>queues --json</c>.</summary>
internal sealed record QueuesJson(IReadOnlyList<QueueJson> Queues, long DeadLetters);

internal sealed record QueueJson(string Name, long Ready, long Unacknowledged, long Messages, int Consumers, double PublishRate, double DeliverRate,
    bool DeadLetter);
