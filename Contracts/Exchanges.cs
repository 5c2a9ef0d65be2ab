using System.Reflection;

namespace NeuralTrade.Events.Contracts;

/// <summary>The public exchanges, named exactly as on the wire.</summary>
public static class Exchanges
{
    /// <summary>Closed OHLCV candles from external feeds.</summary>
    public const string MarketCandles = "market.candles";
    /// <summary>Newly stored candles, one message per series touched.</summary>
    public const string DataIngested = "data.ingested";
    /// <summary>Candles refused by Ingest, with one reason per problem.</summary>
    public const string DataRejected = "data.rejected";
    /// <summary>Requests to train a model for a series.</summary>
    public const string TrainingRequested = "training.requested";
    /// <summary>A training run has started.</summary>
    public const string TrainingStarted = "training.started";
    /// <summary>A training run finished and produced an artifact.</summary>
    public const string TrainingCompleted = "training.completed";
    /// <summary>A training run could not be done.</summary>
    public const string TrainingFailed = "training.failed";
    /// <summary>A model version became the champion.</summary>
    public const string ModelDeployed = "model.deployed";
    /// <summary>A candidate did not pass the champion gate.</summary>
    public const string ModelRejected = "model.rejected";
    /// <summary>Command: make a registered version the champion.</summary>
    public const string ModelPromote = "model.promote";
    /// <summary>Command: return to the previous champion.</summary>
    public const string ModelRollback = "model.rollback";
    /// <summary>A trading service asks for a prediction.</summary>
    public const string PredictionRequested = "prediction.requested";
    /// <summary>A prediction, requested or streamed.</summary>
    public const string PredictionCompleted = "prediction.completed";
    /// <summary>A prediction request that could not be answered, with the reason.</summary>
    public const string PredictionFailed = "prediction.failed";
    /// <summary>The monitor saw drift.</summary>
    public const string DriftDetected = "drift.detected";

    /// <summary>
    /// Every <c>prediction.completed</c>, routed by series: a durable <b>headers</b> exchange bound from the
    /// <see cref="PredictionCompleted"/> fanout exchange, so it receives every message the fanout does. A subscriber
    /// binds its queue with <c>x-match: all</c> and the <see cref="SeriesHeaders"/> it wants, and receives only those
    /// series. The fanout stays as it was, for the readers that take everything.
    /// </summary>
    public const string PredictionCompletedBySeries = "prediction.completed.by-series";

    /// <summary>The exchanges that route a public exchange's messages by series: source fanout → headers exchange.</summary>
    public static IReadOnlyDictionary<string, string> BySeries { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        [PredictionCompleted] = PredictionCompletedBySeries,
    };

    /// <summary>
    /// The series a message of one series belongs to (<c>data.ingested</c>, <c>prediction.completed</c>,
    /// <c>prediction.failed</c>, <c>drift.detected</c>), which the fleet also writes as the AMQP headers
    /// <see cref="SeriesHeaders"/>; null for the other messages.
    /// </summary>
    public static (string Exchange, string Symbol, string Interval)? SeriesOf(object message) => message switch
    {
        Contracts.DataIngested m => (m.Exchange, m.Symbol, m.Interval),
        Contracts.PredictionCompleted m => (m.Exchange, m.Symbol, m.Interval),
        Contracts.PredictionFailed m => (m.Exchange, m.Symbol, m.Interval),
        Contracts.DriftDetected m => (m.Exchange, m.Symbol, m.Interval),
        _ => null,
    };

    /// <summary>Every public contract type, in the order of the design's table.</summary>
    public static IReadOnlyList<Type> ContractTypes { get; } =
    [
        typeof(MarketCandles), typeof(DataIngested), typeof(DataRejected),
        typeof(TrainingRequested), typeof(TrainingStarted), typeof(TrainingCompleted), typeof(TrainingFailed),
        typeof(ModelDeployed), typeof(ModelRejected), typeof(PromoteModel), typeof(RollbackModel),
        typeof(PredictionRequested), typeof(PredictionCompleted), typeof(PredictionFailed),
        typeof(DriftDetected),
    ];

    /// <summary>
    /// The messages the fleet itself must act on, each with a work queue that a deployment declares: published
    /// mandatory, so a message that reaches no queue is returned to its publisher as an error. The others are
    /// announcements; with no subscriber bound, nobody asked for them.
    /// </summary>
    public static IReadOnlyList<Type> RoutedTypes { get; } =
    [
        typeof(MarketCandles), typeof(DataIngested), typeof(TrainingRequested), typeof(TrainingCompleted),
        typeof(PromoteModel), typeof(RollbackModel), typeof(PredictionRequested),
    ];

    /// <summary>True for <see cref="RoutedTypes"/>: publish mandatory.</summary>
    public static bool MustRoute(Type messageType) => RoutedTypes.Contains(messageType);

    /// <summary>The AMQP headers that name a message's series (see <see cref="SeriesOf"/>): the body's own values.</summary>
    public static class SeriesHeaders
    {
        /// <summary>The venue, e.g. <c>binance</c>.</summary>
        public const string Exchange = "exchange";
        /// <summary>The instrument, e.g. <c>BTC/USDT</c>.</summary>
        public const string Symbol = "symbol";
        /// <summary>The candle interval, e.g. <c>1m</c>.</summary>
        public const string Interval = "interval";
    }

    /// <summary>The exchange a contract type is published to, or null for a type that is not public.</summary>
    public static string? NameOf(Type messageType) => messageType.GetCustomAttribute<ExchangeAttribute>()?.Name;
}
