using System.CommandLine;
using System.Globalization;
using Spectre.Console;

namespace NeuralTrade.Events.Cli.Commands;

/// <summary><c>neuraltrade queues</c>: every queue of the vhost, its depth, consumers and rates.</summary>
internal sealed class QueuesCommand(NeuralTradeCli cli)
{
    readonly Option<bool> _all = new("--all") { Description = "Also the temporary queues of clients (amq.gen-…)." };
    readonly Option<bool> _json = CliOptions.Json();

    public Command Build()
    {
        var queues = new Command("queues", "Shows every queue of the vhost: messages ready and unacknowledged, consumers, rates (management API).") { _all, _json };
        queues.SetAction((parse, ct) => cli.Guard(() => ShowAsync(parse.GetValue(_all), parse.GetValue(_json), ct)));
        return queues;
    }

    async Task<int> ShowAsync(bool all, bool json, CancellationToken ct)
    {
        var rows = (await cli.QueuesNowAsync(ct)).Where(q => all || !q.Name.StartsWith("amq.", StringComparison.Ordinal)).ToList();
        var dead = rows.Where(q => q.IsDeadLetter).Sum(q => q.Messages);
        if (json)
        {
            cli.WriteJson(new QueuesJson(rows.Select(q => new QueueJson(q.Name, q.Ready, q.Unacknowledged, q.Messages, q.Consumers, q.PublishRate, q.DeliverRate,
                q.IsDeadLetter)).ToList(), dead));
            return ExitCodes.Ok;
        }

        var table = new Table().Border(TableBorder.Rounded).AddColumn("queue").AddColumn(new TableColumn("ready").RightAligned())
            .AddColumn(new TableColumn("unacked").RightAligned()).AddColumn(new TableColumn("consumers").RightAligned())
            .AddColumn(new TableColumn("in/s").RightAligned()).AddColumn(new TableColumn("out/s").RightAligned());
        foreach (var q in rows)
        {
            var name = q.IsDeadLetter && q.Messages > 0 ? $"[red]{Markup.Escape(q.Name)}[/]" : Markup.Escape(q.Name);
            table.AddRow(name, q.Ready.ToString("N0", CultureInfo.InvariantCulture), q.Unacknowledged.ToString("N0", CultureInfo.InvariantCulture),
                q.Consumers == 0 && !q.IsDeadLetter ? "[yellow]0[/]" : q.Consumers.ToString(CultureInfo.InvariantCulture),
                q.PublishRate.ToString("0.0", CultureInfo.InvariantCulture), q.DeliverRate.ToString("0.0", CultureInfo.InvariantCulture));
        }

        cli.Console.Write(table);
        cli.Console.MarkupLine(dead > 0 ? $"[red]{dead:N0} dead letter(s)[/]: neuraltrade dlq list" : "no dead letters");
        return ExitCodes.Ok;
    }
}
