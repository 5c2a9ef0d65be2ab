using System.ComponentModel.DataAnnotations;

namespace NeuralTrade.Events.Workers.Ingest;

public sealed class IngestOptions
{
    public const string SectionName = "Ingest";

    /// <summary>The contract allows 1 to 10,000 candles per message.</summary>
    [Range(1, 10_000)]
    public int MaxCandlesPerMessage { get; set; } = 10_000;

    /// <summary>Bodies above this size are dead-lettered unread.</summary>
    [Range(1_024, 64 * 1024 * 1024)]
    public int MaxBodyBytes { get; set; } = 8 * 1024 * 1024;

    /// <summary>
    /// Messages handled at once by one instance. Each waits on Redis and on publisher confirms, so throughput
    /// is about this many messages per round-trip time; 32 reached the 50,000 candles/s target on 2 cores
    /// (deploy/benchmark.sh ingest).
    /// </summary>
    [Range(1, 256)]
    public int ConcurrentMessageLimit { get; set; } = 32;

    /// <summary>
    /// A gap with more missing candles than this is logged as a warning (every gap is counted and announced). The default, 3,
    /// is the models' default tolerance (maxGapCandles): a daily equity series' weekends and long weekends stay quiet.
    /// 0 warns on every gap.
    /// </summary>
    [Range(0, 1_000_000)]
    public int GapWarningCandles { get; set; } = 3;
}
