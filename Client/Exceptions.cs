using NeuralTrade.Events.Contracts;

namespace NeuralTrade.Events.Client;

/// <summary>A failure of the NeuralTrade client: the fleet or the broker refused or could not answer.</summary>
public class NeuralTradeClientException : Exception
{
    /// <summary>Creates the exception.</summary>
    public NeuralTradeClientException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public NeuralTradeClientException(string message) : base(message)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    public NeuralTradeClientException(string message, Exception innerException) : base(message, innerException)
    {
    }
}

/// <summary>
/// Inference answered a prediction request with <c>prediction.failed</c>: <see cref="Code"/> says why
/// (<see cref="PredictionFailureCodes"/>), <see cref="Error"/> says it for people, <see cref="Reasons"/> names each bad
/// candle of an <c>invalid_candles</c> request.
/// </summary>
public sealed class PredictionFailedException : NeuralTradeClientException
{
    /// <summary>Wraps Inference's answer.</summary>
    public PredictionFailedException(PredictionFailed failure)
        : base(Describe(failure))
    {
        Failure = failure;
    }

    /// <summary>The <c>prediction.failed</c> body as received.</summary>
    public PredictionFailed Failure { get; }

    /// <summary><c>no_model</c>, <c>invalid_candles</c>, <c>not_enough_data</c> or <c>invalid_request</c> (more may come; treat others as failures too).</summary>
    public string Code => Failure.Code;

    /// <summary>What went wrong, for people.</summary>
    public string Error => Failure.Error;

    /// <summary>The request that failed.</summary>
    public Guid RequestId => Failure.RequestId;

    /// <summary>With <c>invalid_candles</c>: one reason per problem; otherwise empty.</summary>
    public IReadOnlyList<RejectionReason> Reasons => Failure.Reasons ?? [];

    static string Describe(PredictionFailed failure)
    {
        ArgumentNullException.ThrowIfNull(failure);
        return $"prediction.failed {failure.Code} for {failure.Exchange}:{failure.Symbol}:{failure.Interval} (request {failure.RequestId}): {failure.Error}";
    }
}

/// <summary>The codes of <c>prediction.failed</c> (docs/contract.md).</summary>
public static class PredictionFailureCodes
{
    /// <summary>No model serves the series (none trained yet, or none passed the Registry's gate).</summary>
    public const string NoModel = "no_model";
    /// <summary>Candles in the request broke a rule; <see cref="PredictionFailedException.Reasons"/> names each.</summary>
    public const string InvalidCandles = "invalid_candles";
    /// <summary>Too few candles (in the request, or stored) for the model's window and indicator history.</summary>
    public const string NotEnoughData = "not_enough_data";
    /// <summary>The request itself is malformed or over a limit.</summary>
    public const string InvalidRequest = "invalid_request";
}

/// <summary>No answer to a prediction request came within its timeout. Is an Inference worker running?</summary>
public sealed class PredictionTimeoutException : TimeoutException
{
    /// <summary>Creates the exception for a request.</summary>
    public PredictionTimeoutException(Guid requestId, Series series, TimeSpan timeout)
        : base($"no answer to prediction request {requestId} for {series} within {timeout.TotalSeconds:0.###} s; is an Inference worker running?")
    {
        RequestId = requestId;
        Series = series;
        Timeout = timeout;
    }

    /// <summary>The request that was not answered.</summary>
    public Guid RequestId { get; }

    /// <summary>The series asked about.</summary>
    public Series Series { get; }

    /// <summary>How long the client waited.</summary>
    public TimeSpan Timeout { get; }
}

/// <summary>
/// The broker returned a <c>mandatory</c> message: it reached no queue (<c>NO_ROUTE</c>), so nobody would act on it.
/// With the shipped definitions the fleet's queues are bound from the start; this means they are missing.
/// </summary>
public sealed class UnroutableMessageException : NeuralTradeClientException
{
    /// <summary>Creates the exception.</summary>
    public UnroutableMessageException(string exchange, ushort replyCode, string replyText, Exception innerException)
        : base($"the broker returned the message published to '{exchange}': {replyCode} {replyText}; no queue is bound to it, so nobody would act on it " +
            "(load the broker definitions of deploy/rabbitmq, or start the worker that consumes it)", innerException)
    {
        Exchange = exchange;
        ReplyCode = replyCode;
        ReplyText = replyText;
    }

    /// <summary>The exchange published to.</summary>
    public string Exchange { get; }

    /// <summary>The broker's reply code (312 NO_ROUTE).</summary>
    public ushort ReplyCode { get; }

    /// <summary>The broker's reply text.</summary>
    public string ReplyText { get; }
}

/// <summary>
/// Candles that break the contract, found before they were published: nothing was sent. <see cref="Reasons"/> names each
/// problem with Ingest's codes (the position is the index in the list given); empty for a limit of the message itself
/// (count, size), which the message names.
/// </summary>
public sealed class CandleValidationException : ArgumentException
{
    /// <summary>Creates the exception.</summary>
    public CandleValidationException(string message, IReadOnlyList<RejectionReason> reasons, string? paramName = "candles")
        : base(message, paramName)
    {
        Reasons = reasons;
    }

    /// <summary>Every problem found, one per rule and candle.</summary>
    public IReadOnlyList<RejectionReason> Reasons { get; }
}
