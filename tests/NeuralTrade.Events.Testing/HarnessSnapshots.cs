using MassTransit;
using MassTransit.Testing;

namespace NeuralTrade.Events.Testing;

/// <summary>
/// What the harness has seen so far, without waiting. The harness's own <c>Select</c> and <c>Any</c> keep
/// watching for more until the inactivity timeout, so a negative check or a <c>Single()</c> costs the whole
/// timeout; these read the lists as they stand (a cancelled token stops the watch after the existing items).
/// </summary>
public static class HarnessSnapshots
{
    static readonly CancellationToken Now = new(canceled: true);

    public static IReadOnlyList<T> PublishedNow<T>(this ITestHarness harness, Func<T, bool>? match = null)
        where T : class =>
        harness.Published.Select<T>(Now).Select(p => p.Context.Message).Where(m => match?.Invoke(m) ?? true).ToList();

    /// <summary>What was published so far, faults with their exception messages: the first thing to read when a test fails.</summary>
    public static string Describe(this ITestHarness harness)
    {
        var published = harness.Published.Select(_ => true, Now).Select(p =>
            p.MessageObject switch
            {
                Fault fault => $"Fault({string.Join("; ", fault.Exceptions.Select(e => e.ExceptionType + ": " + e.Message))})",
                NeuralTrade.Events.Contracts.ModelRejected rejected => $"ModelRejected({rejected.Reason})",
                NeuralTrade.Events.Contracts.TrainingFailed failed => $"TrainingFailed({failed.Error})",
                _ => p.MessageType.Name,
            });
        return string.Join(", ", published) is { Length: > 0 } text ? text : "nothing";
    }

    /// <summary>Waits (up to the harness timeout) for one matching message, then returns the only one seen.</summary>
    public static async Task<T> PublishedSingle<T>(this ITestHarness harness, Func<T, bool> match)
        where T : class
    {
        if (!await harness.Published.Any<T>(x => match(x.Context.Message)))
            throw new TimeoutException($"no matching {typeof(T).Name} was published (timeout {harness.TestTimeout}, inactivity "
                + $"{harness.TestInactivityTimeout}); published: {Describe(harness)}");

        var seen = harness.PublishedNow(match);
        return seen.Count == 1
            ? seen[0]
            : throw new InvalidOperationException($"expected one {typeof(T).Name}, saw {seen.Count}");
    }
}
