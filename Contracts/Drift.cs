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

/// <summary>A time window, both ends inclusive.</summary>
/// <param name="From">Start, UTC.</param>
/// <param name="To">End, UTC.</param>
public sealed record TimeWindow(DateTimeOffset From, DateTimeOffset To);

/// <summary>The monitor saw drift in a series.</summary>
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
    /// <summary>Model in service.</summary>
    public required ModelRef Model { get; init; }
    /// <summary>Window measured.</summary>
    public required TimeWindow Window { get; init; }
    /// <summary>What the monitor did about it, e.g. <c>training.requested</c>.</summary>
    public string? Action { get; init; }
}
