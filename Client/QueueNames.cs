using System.Text.RegularExpressions;

namespace NeuralTrade.Events.Client;

/// <summary>
/// This client's queue names. The shipped broker users may declare only queues of their own prefix: <c>feed-…</c> for
/// the <c>feed</c> user (bound to <c>data.rejected</c>), <c>trading-…</c> for the <c>trading</c> user (bound to the
/// prediction exchanges), each name of A-Z a-z 0-9 . _ - after the prefix.
/// </summary>
internal static partial class QueueNames
{
    public const string FeedPrefix = "feed-";
    public const string TradingPrefix = "trading-";

    [GeneratedRegex("^[A-Za-z0-9._-]{1,64}$", RegexOptions.CultureInvariant)]
    private static partial Regex ClientNamePattern();

    public static bool IsValidClientName(string name) => ClientNamePattern().IsMatch(name);

    /// <summary>A fresh name for a client that was given none: 12 hex digits.</summary>
    public static string RandomClientName() => Guid.NewGuid().ToString("N")[..12];

    /// <summary>The queue that hears Ingest's refusals of this client's batches.</summary>
    public static string Rejections(string client) => $"{FeedPrefix}{client}-rejected";

    /// <summary>The one queue that receives the answers to every prediction request of this client.</summary>
    public static string Answers(string client) => $"{TradingPrefix}{client}-answers";

    /// <summary>The queue of this client's <paramref name="number"/>th subscription.</summary>
    public static string Subscription(string client, long number) => $"{TradingPrefix}{client}-sub-{number}";
}
