using System.Text.Json.Serialization;
using MassTransit;

namespace NeuralTrade.Events.Contracts;

/// <summary>Asks for a signal for a series.</summary>
[Exchange(Exchanges.PredictionRequested)]
[MessageUrn("neuraltrade:prediction.requested")]
public sealed record PredictionRequested : IntegrationEvent
{
    /// <summary>Caller's id; the answer carries it back.</summary>
    public required Guid RequestId { get; init; }
    /// <summary>Venue of the series.</summary>
    public required string Exchange { get; init; }
    /// <summary>Instrument of the series.</summary>
    public required string Symbol { get; init; }
    /// <summary>Interval of the series.</summary>
    public required string Interval { get; init; }
    /// <summary>The window to score; without it (and without <see cref="AsOf"/>) the latest stored window is used.</summary>
    public IReadOnlyList<Candle>? Candles { get; init; }
    /// <summary>
    /// By reference: score the stored window whose newest candle opens at this time (a candle of the series must be
    /// stored there). Not with <see cref="Candles"/>.
    /// </summary>
    public DateTimeOffset? AsOf { get; init; }
}

/// <summary>The three classes of the signal model.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<Signal>))]
public enum Signal
{
    /// <summary>Expect the price to fall past the threshold.</summary>
    [JsonStringEnumMemberName("sell")] Sell,
    /// <summary>No move past the threshold expected.</summary>
    [JsonStringEnumMemberName("hold")] Hold,
    /// <summary>Expect the price to rise past the threshold.</summary>
    [JsonStringEnumMemberName("buy")] Buy,
}

/// <summary>Risk level derived from the risk score.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<RiskLevel>))]
public enum RiskLevel
{
    /// <summary>Score below 3.</summary>
    [JsonStringEnumMemberName("low")] Low,
    /// <summary>Score 3 to below 6.</summary>
    [JsonStringEnumMemberName("medium")] Medium,
    /// <summary>Score 6 to below 8.</summary>
    [JsonStringEnumMemberName("high")] High,
    /// <summary>Score 8 and above.</summary>
    [JsonStringEnumMemberName("critical")] Critical,
}

/// <summary>Class probabilities; they sum to 1.</summary>
/// <param name="Sell">P(sell).</param>
/// <param name="Hold">P(hold).</param>
/// <param name="Buy">P(buy).</param>
public sealed record SignalProbabilities(double Sell, double Hold, double Buy);

/// <summary>Risk assessment attached to a prediction.</summary>
/// <param name="Score">0 (calm) to 10 (extreme).</param>
/// <param name="Level">Banded score.</param>
/// <param name="Factors">What drove the score, for people.</param>
/// <param name="Recommendation">Suggested handling, for people.</param>
public sealed record RiskAssessment(double Score, RiskLevel Level, IReadOnlyList<string> Factors, string Recommendation);

/// <summary>A signal for a series, answering a request (same requestId and correlationId) or streamed.</summary>
[Exchange(Exchanges.PredictionCompleted)]
[MessageUrn("neuraltrade:prediction.completed")]
public sealed record PredictionCompleted : IntegrationEvent
{
    /// <summary>The request answered; absent for streamed predictions.</summary>
    public Guid? RequestId { get; init; }
    /// <summary>Venue of the series.</summary>
    public required string Exchange { get; init; }
    /// <summary>Instrument of the series.</summary>
    public required string Symbol { get; init; }
    /// <summary>Interval of the series.</summary>
    public required string Interval { get; init; }
    /// <summary>openTime of the newest candle in the window scored.</summary>
    public required DateTimeOffset AsOf { get; init; }
    /// <summary>The most probable class.</summary>
    public required Signal Signal { get; init; }
    /// <summary>Probability of <see cref="Signal"/>.</summary>
    public required double Confidence { get; init; }
    /// <summary>All class probabilities.</summary>
    public required SignalProbabilities Probabilities { get; init; }
    /// <summary>Risk assessment.</summary>
    public required RiskAssessment Risk { get; init; }
    /// <summary>The model that answered.</summary>
    public required ModelRef Model { get; init; }
    /// <summary>Time from receipt to answer inside Inference.</summary>
    public required double LatencyMs { get; init; }
}

/// <summary>A prediction request that could not be answered, and why: it is answered, never dropped.</summary>
[Exchange(Exchanges.PredictionFailed)]
[MessageUrn("neuraltrade:prediction.failed")]
public sealed record PredictionFailed : IntegrationEvent
{
    /// <summary>The request answered.</summary>
    public required Guid RequestId { get; init; }
    /// <summary>Exchange of the series.</summary>
    public required string Exchange { get; init; }
    /// <summary>Symbol of the series.</summary>
    public required string Symbol { get; init; }
    /// <summary>Candle interval of the series.</summary>
    public required string Interval { get; init; }
    /// <summary><c>no_model</c>, <c>invalid_candles</c>, <c>not_enough_data</c> or <c>invalid_request</c>.</summary>
    public required string Code { get; init; }
    /// <summary>What went wrong, for people.</summary>
    public required string Error { get; init; }
    /// <summary>With <c>invalid_candles</c>: one reason per problem, as in <c>data.rejected</c>.</summary>
    public IReadOnlyList<RejectionReason>? Reasons { get; init; }
}
