using System.Collections.Concurrent;
using System.Text;

namespace NeuralTrade.Events.IntegrationTests.Reliability;

/// <summary>
/// The reliability suite's one table: each scenario adds its exact counts (what was sent, what was stored or
/// answered, duplicated effects, dead letters, losses), and when the suite ends the table is printed and written to
/// <c>NEURALTRADE_RELIABILITY_TABLE</c> (deploy/test.sh prints that file at the end of the run).
/// </summary>
[SetUpFixture]
public sealed class ReliabilityTable
{
    public sealed record Row(string Scenario, string Fault, long Sent, long Done, long Duplicates, long DeadLettered, long Lost);

    static readonly ConcurrentQueue<Row> Rows = new();

    /// <summary>Adds a scenario's counts; asserts nothing (the scenario asserts), so a failing scenario still shows its row.</summary>
    public static void Add(string scenario, string fault, long sent, long done, long duplicates, long deadLettered, long lost)
    {
        var row = new Row(scenario, fault, sent, done, duplicates, deadLettered, lost);
        Rows.Enqueue(row);
        TestContext.Out.WriteLine(Format([row]));
    }

    public static string Format(IEnumerable<Row> rows)
    {
        var text = new StringBuilder()
            .AppendLine("| scenario | injected fault | sent | stored / answered | duplicates | dead-lettered | lost |")
            .AppendLine("|---|---|---:|---:|---:|---:|---:|");
        foreach (var r in rows)
            text.AppendLine($"| {r.Scenario} | {r.Fault} | {r.Sent:N0} | {r.Done:N0} | {r.Duplicates:N0} | {r.DeadLettered:N0} | {r.Lost:N0} |");
        return text.ToString();
    }

    [OneTimeTearDown]
    public void Print()
    {
        if (Rows.IsEmpty)
            return;
        var table = Format(Rows.OrderBy(r => r.Scenario, StringComparer.Ordinal));
        TestContext.Progress.WriteLine("Reliability suite:\n" + table);
        if (Environment.GetEnvironmentVariable("NEURALTRADE_RELIABILITY_TABLE") is { Length: > 0 } path)
            File.WriteAllText(path, table);
    }
}
