using System.ComponentModel.DataAnnotations;

namespace NeuralTrade.Events.Workers.Inference;

public sealed class InferenceOptions
{
    public const string SectionName = "Inference";

    /// <summary>Most requests one forward pass takes.</summary>
    [Range(1, 4096)]
    public int MaxBatchSize { get; set; } = 32;

    /// <summary>
    /// Longest a request waits for others to join its batch. 0 (the default, measured best): a batch is what queued
    /// while the previous forward pass ran, so batches grow with load and a lone request waits for nothing.
    /// </summary>
    [Range(0, 1000)]
    public double MaxBatchDelayMs { get; set; }

    /// <summary>
    /// This instance's name, unique in the fleet: its <c>model.deployed</c> queue is <c>inference-swap-{InstanceId}</c>
    /// (durable, so that a restarted instance keeps its queue and its dead letters; unused for seven days, it expires).
    /// Environment: <c>NEURALTRADE_INSTANCE_ID</c>, which a deployment sets to the stable name of each replica (a
    /// StatefulSet pod's name, a compose service's hostname). Defaults to the host name; give each process its own
    /// when several run on one machine.
    /// </summary>
    [RegularExpression("^[a-z0-9][a-z0-9._-]{0,62}$")]
    public string InstanceId { get; set; } = Environment.MachineName.ToLowerInvariant();

    /// <summary>libtorch intra-op threads for the forward passes (0: libtorch's default, one per core). One measured best on
    /// 2 shared cores: the worker's message handling needs the other.</summary>
    [Range(0, 256)]
    public int TorchThreads { get; set; } = 1;

    /// <summary>
    /// Forward passes that may run at once, each on its own thread with <see cref="TorchThreads"/> libtorch threads and
    /// its own batch. One keeps a single forward in flight (the biggest batches); more let the model use cores the
    /// message handling leaves idle. Two measured best on 2 shared cores (fleet rate 0.77 of the in-process bound
    /// against 0.69–0.75 with one).
    /// </summary>
    [Range(1, 64)]
    public int ForwardThreads { get; set; } = 2;

    /// <summary>Prediction requests one instance handles at once (they meet in the batcher).</summary>
    [Range(1, 4096)]
    public int ConcurrentRequests { get; set; } = 64;

    /// <summary>
    /// Keep the decoded candles of the windows read from the store (per series, the last window and what is newer), so
    /// that each close reads the window's openTimes and only the candles not read before. Exact (stored candles never
    /// change); false reads and decodes the whole window every time (the benchmark's comparison).
    /// </summary>
    public bool CacheRecentCandles { get; set; } = true;

    /// <summary>
    /// Most candles a <c>prediction.requested</c> may carry: a request with more is answered <c>invalid_request</c>
    /// before any is read. The served window needs the model's warm-up, window and 512 candles of smoothing history
    /// (at most 1,068 for the largest window), so 2,048 leaves room and bounds the work a caller can ask for.
    /// </summary>
    [Range(1, 10_000)]
    public int MaxRequestCandles { get; set; } = 2_048;
}
