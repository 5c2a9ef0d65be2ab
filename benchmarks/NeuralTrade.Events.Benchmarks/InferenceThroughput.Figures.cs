namespace NeuralTrade.Events.Benchmarks;

/// <summary>The figures of one inference benchmark run.</summary>
internal sealed partial class InferenceThroughput
{
    /// <summary>Open-loop load: requests arrive at <see cref="Fraction"/> of the measured capacity whatever the answers do.</summary>
    public sealed record LoadLevel(double Fraction, double OfferedPerSecond, LatencyFigure Figure);

    /// <summary>One alternated round: the in-process batch-32 forward rate, then the transport alone, then the fleet.</summary>
    public sealed record Round(int Number, double BoundPerSecond, LatencyFigure Transport, LatencyFigure Sustained);

    public sealed record Figures(MicroFigures Micro, IReadOnlyList<Round> Rounds, LatencyFigure Light,
        IReadOnlyList<LoadLevel> Levels, LatencyFigure Swapping, long ResidentBefore, long ResidentAfter, int MemoryPredictions, long ManagedBefore,
        long ManagedAfter, IReadOnlyList<long> ResidentReadings, IReadOnlyList<LatencyFigure> ByReferenceRounds, LatencyFigure ByReferenceLight, LatencyFigure TransportLight)
    {
        /// <summary>What the message path adds to a prediction at light load: fleet p50 minus the in-process single-forward p50.</summary>
        public double OverheadP50Ms => Light.P50Ms - SingleP50Ms;

        /// <summary>The best by-reference round (series + asOf, the window read from Redis).</summary>
        public LatencyFigure ByReference => ByReferenceRounds.MaxBy(t => t.PerSecond)!;

        /// <summary>The best in-process batch-32 forward rate of the rounds.</summary>
        public double RoundBoundPerSecond => Rounds.Max(r => r.BoundPerSecond);

        /// <summary>
        /// The in-process batch-32 forward rate of the served model: the higher of BenchmarkDotNet's figure and the best
        /// round, so that the fleet is never divided by a bound measured in a slow moment.
        /// </summary>
        public double BoundPerSecond => Math.Max(Micro.Batch32PerSecond, RoundBoundPerSecond);

        /// <summary>The best transport-only round.</summary>
        public LatencyFigure Transport => Rounds.Select(r => r.Transport).MaxBy(t => t.PerSecond)!;

        /// <summary>The best fleet round (sustained load with batching).</summary>
        public LatencyFigure Sustained => Rounds.Select(r => r.Sustained).MaxBy(t => t.PerSecond)!;

        public double SingleP50Ms => Micro.SingleP50Ms;
        public double SingleP99Ms => Micro.SingleP99Ms;
    }
}
