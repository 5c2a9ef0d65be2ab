using System.Diagnostics;

namespace NeuralTrade.Events.Messaging;

/// <summary>
/// Named points inside multi-step work (store → publish → ledger; register → promote → publish) where the reliability
/// suite kills a worker, to prove that a redelivery finishes what was started and repeats nothing. Armed only by the
/// environment variable <c>NEURALTRADE_FAULTS</c> (comma-separated point names, or <c>point=subject</c>), which a deployment never sets: an
/// armed point kills its own process at once (SIGKILL, no cleanup), as <c>kill -9</c> would. Unit tests arm a point in
/// their own async flow with <see cref="ThrowAt"/> instead.
/// </summary>
public static class FaultPoints
{
    public const string Variable = "NEURALTRADE_FAULTS";

    static readonly HashSet<string> Armed = Parse(Environment.GetEnvironmentVariable(Variable));
    static readonly AsyncLocal<string?> ThrowingAt = new();

    /// <summary>
    /// Kills the process here if <paramref name="point"/> is armed (<c>point</c>, or <c>point=subject</c> for this
    /// <paramref name="subject"/> only); throws <see cref="InjectedFaultException"/> in a test that armed it.
    /// </summary>
    public static void Reach(string point, string? subject = null)
    {
        if (ThrowingAt.Value == point)
            throw new InjectedFaultException(point);
        if (Armed.Count == 0 || !(Armed.Contains(point) || (subject is not null && Armed.Contains($"{point}={subject}"))))
            return;
        Console.Error.WriteLine($"[fault] {Variable}: killing process {Environment.ProcessId} at {point}{(subject is null ? "" : "=" + subject)}");
        Console.Error.Flush();
        Process.GetCurrentProcess().Kill();
        Thread.Sleep(Timeout.Infinite);
    }

    /// <summary>False in a deployment (nothing armed, no test throwing): lets a caller skip work done only to reach a point.</summary>
    public static bool Active => Armed.Count > 0 || ThrowingAt.Value is not null;

    /// <summary>Makes <see cref="Reach"/> throw at <paramref name="point"/> in this async flow until disposed.</summary>
    public static IDisposable ThrowAt(string point)
    {
        ThrowingAt.Value = point;
        return new Disarm();
    }

    static HashSet<string> Parse(string? value) =>
        (value ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet(StringComparer.Ordinal);

    sealed class Disarm : IDisposable
    {
        public void Dispose() => ThrowingAt.Value = null;
    }
}

/// <summary>A fault a test injected with <see cref="FaultPoints.ThrowAt"/>: stands for the process dying at that point.</summary>
public sealed class InjectedFaultException(string point) : Exception($"fault injected at {point}")
{
    public string Point { get; } = point;
}
