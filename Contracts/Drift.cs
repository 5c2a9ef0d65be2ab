using System.Text.Json.Serialization;
using MassTransit;

namespace NeuralTrade.Events.Contracts;

/// <summary>What kind of drift was seen.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<DriftType>))]
public enum DriftType
{
    /// <summary>Input features moved away from the training baseline.</summary>
    [JsonStringEnumMemberName("data")] Data,
    /// <summary>The model's outputs moved away from what it produced on validation.</summary>
    [JsonStringEnumMemberName("prediction")] Prediction,
    /// <summary>Realised accuracy fell below the model's test metrics.</summary>
    [JsonStringEnumMemberName("concept")] Concept,
}

/// <summary>How serious a drift is.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<DriftSeverity>))]
public enum DriftSeverity
{
    /// <summary>Worth a look.</summary>
    [JsonStringEnumMemberName("low")] Low,
    /// <summary>Past the warning threshold.</summary>
    [JsonStringEnumMemberName("medium")] Medium,
    /// <summary>Past the alert threshold; may trigger retraining.</summary>
    [JsonStringEnumMemberName("high")] High,
}

/// <summary>What a drift statistic was measured against.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<DriftReference>))]
public enum DriftReference
{
    /// <summary>The baselines of the model in service: its training features, validation outputs and test metrics.</summary>
    [JsonStringEnumMemberName("champion")] Champion,
    /// <summary>
    /// The series' own recent history (the candles just before the window measured), used while no model serves the
    /// series or its baselines cannot be read. Only data drift is measured this way, and it never asks for retraining.
    /// </summary>
    [JsonStringEnumMemberName("history")] History,
}

/// <summary>A time window, both ends inclusive.</summary>
/// <param name="From">Start, UTC.</param>
/// <param name="To">End, UTC.</param>
public sealed record TimeWindow(DateTimeOffset From, DateTimeOffset To);

/// <summary>
/// The monitor saw drift in a series. Measured against the champion (<see cref="Reference"/> <c>champion</c> or absent)
/// the body is schema version 1 and names the <see cref="Model"/>; measured against the series' own history
/// (<see cref="Reference"/> <c>history</c>) no model serves, <see cref="Model"/> is absent and the body is
/// <see cref="HistorySchemaVersion"/>.
/// </summary>
[Exchange(Exchanges.DriftDetected)]
[MessageUrn("neuraltrade:drift.detected")]
public sealed record DriftDetected : IntegrationEvent
{
    /// <summary>Kind of drift.</summary>
    public required DriftType DriftType { get; init; }
    /// <summary>Statistic used, e.g. <c>psi</c>, <c>ks_pvalue</c>, <c>macro_f1</c>.</summary>
    public required string Metric { get; init; }
    /// <summary>Feature measured, for data drift.</summary>
    public string? Feature { get; init; }
    /// <summary>Value of the statistic now.</summary>
    public required double Value { get; init; }
    /// <summary>Value of the statistic at baseline.</summary>
    public required double Baseline { get; init; }
    /// <summary>Threshold crossed.</summary>
    public required double Threshold { get; init; }
    /// <summary>How serious.</summary>
    public required DriftSeverity Severity { get; init; }
    /// <summary>Venue of the series.</summary>
    public required string Exchange { get; init; }
    /// <summary>Instrument of the series.</summary>
    public required string Symbol { get; init; }
    /// <summary>Interval of the series.</summary>
    public required string Interval { get; init; }
    /// <summary>Model in service, whose baselines the statistic was measured against; absent when <see cref="Reference"/> is <c>history</c>.</summary>
    public ModelRef? Model { get; init; }
    /// <summary>Window measured.</summary>
    public required TimeWindow Window { get; init; }
    /// <summary>What the window was compared with; absent means <c>champion</c> (bodies written before this member).</summary>
    public DriftReference? Reference { get; init; }
    /// <summary>The history the window was compared with, when <see cref="Reference"/> is <c>history</c>.</summary>
    public TimeWindow? ReferenceWindow { get; init; }
    /// <summary>What the monitor did about it, e.g. <c>training.requested</c>.</summary>
    public string? Action { get; init; }

    /// <summary>
    /// <see cref="IntegrationEvent.SchemaVersion"/> of a body without <see cref="Model"/> (reference <c>history</c>): a
    /// reader of version 1 may rely on <c>model</c>, so its absence is a new version.
    /// </summary>
    public const int HistorySchemaVersion = 2;
}
