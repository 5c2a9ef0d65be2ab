using System.Text;
using Microsoft.Extensions.Logging;
using NeuralTrade.Events.Contracts;

namespace NeuralTrade.Events.Client;

/// <summary>
/// How a <see cref="NeuralTradeClient"/> reaches the broker and how long it waits. Only <see cref="Url"/> is required.
/// The password in <see cref="Url"/> is never printed: <see cref="ToString"/> and every error and log line name the
/// broker as <c>amqp://user@host:port/vhost</c>.
/// </summary>
public sealed record NeuralTradeClientOptions
{
    /// <summary>
    /// <c>amqp://user:password@host:5672/vhost</c>, or <c>amqps://…:5671/</c> for TLS. With the shipped broker
    /// definitions a feed logs in as <c>feed</c> and a trading service as <c>trading</c>.
    /// </summary>
    public required string Url { get; init; }

    /// <summary>
    /// A PEM (or DER) file of the private CA that signed the broker's certificate, for <c>amqps://</c>: the chain must
    /// end at it and the certificate must name the URL's host; nothing else is relaxed. Unset: the system's trust store.
    /// </summary>
    public string? TlsCaFile { get; init; }

    /// <summary>Names this client's connection in the management UI and its queues (<c>feed-NAME-…</c>, <c>trading-NAME-…</c>): 1-64 of A-Z a-z 0-9 . _ -. Unset: a random name.</summary>
    public string? ClientName { get; init; }

    /// <summary>How long opening the connection (TCP, TLS, login) may take. Default 10 s.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long a broker operation (declare, bind, consume) may take. Default 20 s.</summary>
    public TimeSpan OperationTimeout { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>How long a publish waits for the broker's confirm. Default 30 s.</summary>
    public TimeSpan PublishTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long <c>NeuralTradeClient.PredictAsync</c> waits for its answer unless the call names a timeout. Default 30 s.</summary>
    public TimeSpan PredictionTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Pause between attempts to recover a lost connection (RabbitMQ.Client's automatic recovery). Default 5 s.</summary>
    public TimeSpan RecoveryInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Most candles one <c>market.candles</c> message may carry: the contract's 10,000 (Ingest's <c>Ingest:MaxCandlesPerMessage</c>).</summary>
    public int MaxCandlesPerMessage { get; init; } = 10_000;

    /// <summary>Largest <c>market.candles</c> body: the contract's 8 MiB (Ingest's <c>Ingest:MaxBodyBytes</c>).</summary>
    public int MaxCandleBodyBytes { get; init; } = 8 * 1024 * 1024;

    /// <summary>Most candles one <c>prediction.requested</c> may carry: the contract's 2,048 (Inference's <c>Inference:MaxRequestCandles</c>).</summary>
    public int MaxRequestCandles { get; init; } = 2_048;

    /// <summary>What is checked before candles are published. Default <see cref="CandleChecks.All"/>.</summary>
    public CandleChecks CandleChecks { get; init; } = CandleChecks.All;

    /// <summary>
    /// Largest <c>prediction.completed</c> / <c>prediction.failed</c> body read (answers and subscriptions). A larger
    /// one is dropped and reported (<see cref="OnRefusedMessage"/>, the log); the subscription goes on. Default 1 MiB
    /// (a prediction is about 1 KB; a failure with a reason per candle of a 2,048-candle request stays far below).
    /// </summary>
    public int MaxMessageBytes { get; init; } = 1024 * 1024;

    /// <summary>Largest <c>data.rejected</c> body read: it carries the refused candles as received. Default 16 MiB (twice Ingest's body limit).</summary>
    public int MaxRejectionBytes { get; init; } = 16 * 1024 * 1024;

    /// <summary>Messages the broker sends ahead, unacknowledged, to each of this client's consumers. Default 64.</summary>
    public ushort PrefetchCount { get; init; } = 64;

    /// <summary>
    /// Hear Ingest's <c>data.rejected</c> for this client's batches (<see cref="CandleBatchReceipt.WaitForRejectionAsync"/>,
    /// <see cref="OnCandlesRejected"/>): the first publish declares a queue <c>feed-…</c> bound to <c>data.rejected</c>,
    /// which the <c>feed</c> user may do. Default true; false for a user that may not.
    /// </summary>
    public bool TrackRejections { get; init; } = true;

    /// <summary>How long a published batch's id is remembered for matching <c>data.rejected</c>. Default 10 minutes.</summary>
    public TimeSpan RejectionRetention { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Called with every <c>data.rejected</c> of a batch this client published (remembered batches only). Exceptions are logged.</summary>
    public Func<DataRejected, CancellationToken, ValueTask>? OnCandlesRejected { get; init; }

    /// <summary>Called for every message this client read and dropped: too large, not readable as the contract's JSON, or of another series than subscribed. Also logged as a warning.</summary>
    public Action<RefusedMessage>? OnRefusedMessage { get; init; }

    /// <summary>Where the client logs (connection lost and recovered, refused messages, handler failures). Unset: nowhere.</summary>
    public ILoggerFactory? LoggerFactory { get; init; }

    /// <summary>Prints the settings with the broker URL's password left out.</summary>
    bool PrintMembers(StringBuilder builder)
    {
        builder.Append("Url = ").Append(BrokerAddress.Redact(Url));
        builder.Append(", TlsCaFile = ").Append(TlsCaFile);
        builder.Append(", ClientName = ").Append(ClientName);
        builder.Append(", ConnectTimeout = ").Append(ConnectTimeout);
        builder.Append(", OperationTimeout = ").Append(OperationTimeout);
        builder.Append(", PublishTimeout = ").Append(PublishTimeout);
        builder.Append(", PredictionTimeout = ").Append(PredictionTimeout);
        builder.Append(", RecoveryInterval = ").Append(RecoveryInterval);
        builder.Append(", CandleChecks = ").Append(CandleChecks);
        builder.Append(", TrackRejections = ").Append(TrackRejections);
        return true;
    }

    /// <summary>Checks every setting; the message names the one at fault.</summary>
    internal void Validate()
    {
        if (string.IsNullOrWhiteSpace(Url))
            throw new ArgumentException("NeuralTradeClientOptions.Url is required: amqp://user:password@host:5672/vhost (amqps:// for TLS).", nameof(Url));
        if (!BrokerAddress.TryParse(Url, out _, out var error))
            throw new ArgumentException($"NeuralTradeClientOptions.Url: {error}", nameof(Url));
        if (ClientName is not null && !QueueNames.IsValidClientName(ClientName))
            throw new ArgumentException($"NeuralTradeClientOptions.ClientName '{ClientName}' must be 1-64 of A-Z, a-z, 0-9, '.', '_', '-' (it names queues).", nameof(ClientName));
        Positive(ConnectTimeout, nameof(ConnectTimeout));
        Positive(OperationTimeout, nameof(OperationTimeout));
        Positive(PublishTimeout, nameof(PublishTimeout));
        Positive(PredictionTimeout, nameof(PredictionTimeout));
        Positive(RecoveryInterval, nameof(RecoveryInterval));
        Positive(RejectionRetention, nameof(RejectionRetention));
        AtLeastOne(MaxCandlesPerMessage, nameof(MaxCandlesPerMessage));
        AtLeastOne(MaxCandleBodyBytes, nameof(MaxCandleBodyBytes));
        AtLeastOne(MaxRequestCandles, nameof(MaxRequestCandles));
        AtLeastOne(MaxMessageBytes, nameof(MaxMessageBytes));
        AtLeastOne(MaxRejectionBytes, nameof(MaxRejectionBytes));
        AtLeastOne(PrefetchCount, nameof(PrefetchCount));
        if (!Enum.IsDefined(CandleChecks))
            throw new ArgumentOutOfRangeException(nameof(CandleChecks), CandleChecks, "NeuralTradeClientOptions.CandleChecks is not a CandleChecks value.");
    }

    static void Positive(TimeSpan value, string name)
    {
        if (value <= TimeSpan.Zero || value == Timeout.InfiniteTimeSpan)
            throw new ArgumentOutOfRangeException(name, value, $"NeuralTradeClientOptions.{name} must be a positive, finite time.");
    }

    static void AtLeastOne(int value, string name)
    {
        if (value < 1)
            throw new ArgumentOutOfRangeException(name, value, $"NeuralTradeClientOptions.{name} must be at least 1.");
    }
}

/// <summary>What <see cref="NeuralTradeClient.PublishCandlesAsync"/> checks before a batch leaves this process.</summary>
public enum CandleChecks
{
    /// <summary>
    /// The message's limits and every candle rule that does not depend on the clock (Ingest's codes: <c>required</c>,
    /// <c>invalid_format</c>, <c>unknown_interval</c>, <c>misaligned</c>, <c>non_positive</c>, <c>negative</c>,
    /// <c>too_large</c>, <c>ohlc_inconsistent</c>): a batch with one bad candle is not sent at all and the
    /// <see cref="CandleValidationException"/> names every problem. <c>future</c>, <c>not_closed</c> and
    /// <c>conflict</c> are Ingest's to decide (its clock, its store) and come back in <c>data.rejected</c>.
    /// </summary>
    All,

    /// <summary>
    /// Only the message's limits (1 to <see cref="NeuralTradeClientOptions.MaxCandlesPerMessage"/> candles, the body
    /// size): Ingest checks each candle, stores the valid ones and reports the others in <c>data.rejected</c>.
    /// </summary>
    MessageLimitsOnly,
}

/// <summary>A message this client read and dropped, and why.</summary>
/// <param name="Exchange">The exchange it came through.</param>
/// <param name="Queue">The client's queue it arrived in.</param>
/// <param name="BodyBytes">Its body's size.</param>
/// <param name="Reason">Why it was dropped, for people.</param>
public sealed record RefusedMessage(string Exchange, string Queue, long BodyBytes, string Reason);
