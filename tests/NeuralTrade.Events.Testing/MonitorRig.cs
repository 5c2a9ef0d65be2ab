using Microsoft.Extensions.Logging.Abstractions;
using NeuralTrade.Events.Contracts;
using NeuralTrade.Events.MarketData;
using NeuralTrade.Events.Modeling;
using NeuralTrade.Events.Stores;
using NeuralTrade.Events.Tracking;
using NeuralTrade.Events.Workers.Monitor;

namespace NeuralTrade.Events.Testing;

/// <summary>
/// The monitor's own classes wired to in-memory stores (or to the stores a test gives), with the published events
/// collected: fast enough to drive thousands of checks in the drift tests. The bus path is covered by the monitor
/// worker tests on the harness and on the broker.
/// </summary>
public sealed class MonitorRig
{
    public MonitorRig(MonitorOptions? options = null, IMonitorStore? store = null, ICandleStore? candles = null, IModelRegistryStore? registry = null)
    {
        Options = options ?? new MonitorOptions();
        Store = store ?? new InMemoryMonitorStore(TimeProvider.System);
        Candles = candles ?? new InMemoryCandleStore();
        Registry = registry ?? new InMemoryModelRegistryStore();
        Monitor = NewMonitor();
    }

    public MonitorOptions Options { get; }
    public IMonitorStore Store { get; }
    public ICandleStore Candles { get; }
    public IModelRegistryStore Registry { get; }
    public DriftMonitor Monitor { get; private set; }
    public List<IntegrationEvent> Published { get; } = [];
    public string Directory { get; } = Path.Combine(Path.GetTempPath(), "nt-monitor-" + Guid.NewGuid().ToString("N")[..8]);

    public IEnumerable<DriftDetected> Drift => Published.OfType<DriftDetected>();
    public IEnumerable<TrainingRequested> Retrains => Published.OfType<TrainingRequested>();

    /// <summary>A fresh monitor over the same stores: what a restarted (or a second) instance sees.</summary>
    public DriftMonitor NewMonitor() => new(Store, Candles,
        new ChampionBaselines(Registry, new ArtifactReader(Directory, null, 1L << 30), NullLogger<ChampionBaselines>.Instance), Microsoft.Extensions.Options.Options.Create(Options),
        NullLogger<DriftMonitor>.Instance);

    public void Restart() => Monitor = NewMonitor();

    public Task<RegisteredVersion> PromoteAsync(int version, ArtifactManifest manifest, SeriesKey? series = null) =>
        DriftChampions.PromoteAsync(Registry, Directory, series ?? DriftMarket.Series, version, manifest);

    /// <summary>Stores <paramref name="candles"/> (one series) and hands the monitor their <c>data.ingested</c>, as Ingest would.</summary>
    public async Task<CheckReport> IngestAsync(IReadOnlyList<Candle> candles, DriftMonitor? monitor = null)
    {
        var series = SeriesKey.Of(candles[0]);
        await Candles.AppendAsync(series, candles, receipt: null);
        return await (monitor ?? Monitor).OnDataIngestedAsync(Ingested(candles), (e, _) =>
        {
            lock (Published)
                Published.Add(e);
            return Task.CompletedTask;
        }, CancellationToken.None);
    }

    public static DataIngested Ingested(IReadOnlyList<Candle> candles) => new()
    {
        Exchange = candles[0].Exchange, Symbol = candles[0].Symbol, Interval = candles[0].Interval, Candles = candles,
        FirstOpenTime = candles[0].OpenTime, LastOpenTime = candles[^1].OpenTime,
    };

    /// <summary>A streamed prediction of the champion, as Inference publishes it.</summary>
    public static PredictionCompleted Streamed(Candle candle, Signal signal, double confidence, string modelName, int version) => new()
    {
        Exchange = candle.Exchange, Symbol = candle.Symbol, Interval = candle.Interval, AsOf = candle.OpenTime, Signal = signal,
        Confidence = confidence,
        Probabilities = signal switch
        {
            Signal.Sell => new SignalProbabilities(confidence, (1 - confidence) / 2, (1 - confidence) / 2),
            Signal.Hold => new SignalProbabilities((1 - confidence) / 2, confidence, (1 - confidence) / 2),
            _ => new SignalProbabilities((1 - confidence) / 2, (1 - confidence) / 2, confidence),
        },
        Risk = new RiskAssessment(1, RiskLevel.Low, [], "test"), Model = new ModelRef(modelName, version), LatencyMs = 1,
    };

    /// <summary>
    /// Trains nothing: a champion for <see cref="DriftMarket"/> whose feature baseline is the first <paramref name="trainCount"/>
    /// candles of <paramref name="market"/>.
    /// </summary>
    public Task<RegisteredVersion> PromoteBaselineAsync(IReadOnlyList<Candle> market, int trainCount, int version = 1,
        IReadOnlyDictionary<string, double>? metrics = null) =>
        PromoteAsync(version, DriftChampions.Manifest(ModelNames.For(SeriesKey.Of(market[0])), DriftMarket.BaselineOf(market, trainCount), metrics: metrics),
            SeriesKey.Of(market[0]));
}
