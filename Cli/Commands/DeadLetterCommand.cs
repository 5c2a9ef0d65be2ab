using System.CommandLine;
using System.Text.Json;
using Spectre.Console;

namespace NeuralTrade.Events.Cli.Commands;

/// <summary><c>neuraltrade dlq list|show|replay|purge</c>: the dead-letter queues, <c>&lt;queue&gt;_error</c>.</summary>
internal sealed class DeadLetterCommand(NeuralTradeCli cli)
{
    public Command Build() =>
        new("dlq", "Dead-letter queues (<queue>_error): list, show, replay, purge.") { ListCommand(), ShowCommand(), ReplayCommand(), PurgeCommand() };

    static Argument<string> QueueArgument()
    {
        var argument = new Argument<string>("queue") { Description = "A dead-letter queue, <queue>_error (e.g. ingest_error)." };
        argument.Validators.Add(r =>
        {
            if (r.GetValue(argument) is { } name && !name.EndsWith("_error", StringComparison.Ordinal))
                r.AddError($"'{name}' is not a dead-letter queue: their names end in _error (did you mean {name}_error?).");
        });
        return argument;
    }

    static string SourceQueueOf(string deadLetterQueue) => deadLetterQueue[..^"_error".Length];

    // ---- list ----

    Command ListCommand()
    {
        var json = CliOptions.Json();
        var list = new Command("list", "Lists the dead-letter queues (<queue>_error) and how many messages each holds.") { json };
        list.SetAction((parse, ct) => cli.Guard(() => ListAsync(parse.GetValue(json), ct)));
        return list;
    }

    async Task<int> ListAsync(bool json, CancellationToken ct)
    {
        var queues = await cli.QueuesNowAsync(ct);
        queues = queues.Where(q => q.IsDeadLetter).ToList();
        if (json)
        {
            cli.WriteJson(new DeadLetterQueuesJson(queues.Select(q => new DeadLetterQueueJson(q.Name, q.Messages, SourceQueueOf(q.Name))).ToList()));
            return ExitCodes.Ok;
        }

        if (queues.Count == 0)
        {
            cli.Console.MarkupLine("no dead-letter queue exists yet (MassTransit creates <queue>_error with its first dead letter)");
            return ExitCodes.Ok;
        }

        var table = new Table().Border(TableBorder.Rounded).AddColumn("dead-letter queue").AddColumn(new TableColumn("messages").RightAligned())
            .AddColumn("replays to");
        foreach (var q in queues)
            table.AddRow(Markup.Escape(q.Name), q.Messages > 0 ? $"[red]{q.Messages:N0}[/]" : "0", Markup.Escape(SourceQueueOf(q.Name)));
        cli.Console.Write(table);
        return ExitCodes.Ok;
    }

    // ---- show ----

    Command ShowCommand()
    {
        var queue = QueueArgument();
        var count = CliOptions.Positive("--count", "How many messages to show, oldest first (default 10).", 10, 10_000);
        var id = new Option<string?>("--id") { Description = "Only the message with this message_id (the body's eventId)." };
        var maxBody = CliOptions.Positive("--max-body", "Characters of each body to print (default 2000; --json prints whole bodies).", 2_000);
        var json = CliOptions.Json();
        var show = new Command("show", "Shows dead letters without removing them: body, reason, exception and stack trace.") { queue, count, id, maxBody, json };
        show.SetAction((parse, ct) => cli.Guard(() =>
            ShowAsync(parse.GetValue(queue)!, parse.GetValue(count), parse.GetValue(id), parse.GetValue(maxBody), parse.GetValue(json), ct)));
        return show;
    }

    async Task<int> ShowAsync(string queue, int count, string? wanted, int maxBody, bool json, CancellationToken ct)
    {
        if (json)
            return await ShowJsonAsync(queue, count, wanted, ct);

        await using var broker = await cli.ConnectBrokerAsync(ct);
        await using var reader = await broker.OpenQueueAsync(queue, ct);
        var shown = 0;
        for (var i = 0; i < reader.MessageCount && shown < count; i++)
        {
            if (await reader.NextAsync(ct) is not { } message)
                break;
            if (wanted is not null && message.Properties.MessageId != wanted)
                continue;
            shown++;
            cli.Console.Write(DeadLetterPanel(message, i + 1, maxBody));
        }

        cli.Console.MarkupLine($"{shown:N0} of {reader.MessageCount:N0} message(s) in {Markup.Escape(reader.Queue)} shown; none removed");
        return wanted is not null && shown == 0 ? ExitCodes.Failed : ExitCodes.Ok;
    }

    async Task<int> ShowJsonAsync(string queue, int count, string? wanted, CancellationToken ct)
    {
        await using var broker = await cli.ConnectBrokerAsync(ct);
        await using var reader = await broker.OpenQueueAsync(queue, ct);
        var shown = new List<DeadLetterJson>();
        for (var i = 0; i < reader.MessageCount && shown.Count < count; i++)
        {
            if (await reader.NextAsync(ct) is not { } message)
                break;
            if (wanted is null || message.Properties.MessageId == wanted)
                shown.Add(DeadLetter(message, i + 1));
        }

        cli.WriteJson(new DeadLettersJson(reader.Queue, reader.MessageCount, shown.Count, shown));
        return wanted is not null && shown.Count == 0 ? ExitCodes.Failed : ExitCodes.Ok;
    }

    static DeadLetterJson DeadLetter(BrokerMessage message, int position)
    {
        var json = message.Json;
        return new DeadLetterJson(position, message.Properties.MessageId, message.Properties.CorrelationId, message.Properties.ContentType,
            message.Header("MT-Reason"), message.Header("MT-Fault-ExceptionType"), message.Header("MT-Fault-Message"), message.Header("MT-Fault-ConsumerType"),
            message.Header("MT-Fault-Timestamp"), message.Header("MT-Fault-RetryCount"), message.Header("MT-Host-MachineName"),
            json, json is null ? message.Text : null, message.Header("MT-Fault-StackTrace"));
    }

    static Panel DeadLetterPanel(BrokerMessage message, int position, int maxBody)
    {
        var grid = new Grid().AddColumn(new GridColumn().NoWrap()).AddColumn();
        void Row(string name, string? value)
        {
            if (!string.IsNullOrEmpty(value))
                grid.AddRow($"[grey]{name}[/]", Markup.Escape(value));
        }

        Row("message_id", message.Properties.MessageId);
        Row("correlation_id", message.Properties.CorrelationId);
        Row("content_type", message.Properties.ContentType);
        Row("reason", message.Header("MT-Reason"));
        Row("exception", message.Header("MT-Fault-ExceptionType"));
        Row("message", message.Header("MT-Fault-Message"));
        Row("consumer", message.Header("MT-Fault-ConsumerType"));
        Row("failed at", message.Header("MT-Fault-Timestamp"));
        Row("retries", message.Header("MT-Fault-RetryCount"));
        Row("host", message.Header("MT-Host-MachineName"));
        var body = message.Json is { } json ? JsonSerializer.Serialize(json, NeuralTradeCli.Indented) : message.Text;
        if (body.Length > maxBody)
            body = body[..maxBody] + $"… ({body.Length - maxBody:N0} more characters)";
        grid.AddRow("[grey]body[/]", Markup.Escape(body));
        if (message.Header("MT-Fault-StackTrace") is { Length: > 0 } stack)
            grid.AddRow("[grey]stack[/]", Markup.Escape(stack));
        return new Panel(grid).Header($"#{position}").Border(BoxBorder.Rounded).Expand();
    }

    // ---- replay ----

    Command ReplayCommand()
    {
        var queue = QueueArgument();
        var id = new Option<string?>("--id") { Description = "Only the message with this message_id." };
        var count = new Option<int?>("--count") { Description = "At most this many, oldest first (default: all)." };
        var target = new Option<string?>("--to") { Description = "Queue to send them to (default: the queue the dead-letter queue belongs to)." };
        var json = CliOptions.Json();
        var replay = new Command("replay", "Sends dead letters back to their queue (fault headers removed), each removed only once the broker confirmed the copy.")
        {
            queue, id, count, target, json,
        };
        replay.SetAction((parse, ct) => cli.Guard(() =>
            ReplayAsync(parse.GetValue(queue)!, parse.GetValue(target), parse.GetValue(count) ?? int.MaxValue, parse.GetValue(id), parse.GetValue(json), ct)));
        return replay;
    }

    async Task<int> ReplayAsync(string queue, string? target, int limit, string? wanted, bool json, CancellationToken ct)
    {
        var destination = target ?? SourceQueueOf(queue);
        await using var broker = await cli.ConnectBrokerAsync(ct);
        await using (await broker.OpenQueueAsync(destination, ct))
        {
            // only checks that the destination exists: a copy to nowhere would be lost
        }

        await using var reader = await broker.OpenQueueAsync(queue, ct);
        var replayed = 0;
        for (var i = 0; i < reader.MessageCount && replayed < limit; i++)
        {
            if (await reader.NextAsync(ct) is not { } message)
                break;
            if (wanted is not null && message.Properties.MessageId != wanted)
                continue;
            await reader.SendCopyAsync(message, destination, ct);
            await reader.AckAsync(message, ct);
            replayed++;
        }

        if (json)
            cli.WriteJson(new ReplayedJson(queue, destination, replayed));
        else
            cli.Console.MarkupLine($"replayed {replayed:N0} message(s) from {Markup.Escape(queue)} to {Markup.Escape(destination)}");
        return wanted is not null && replayed == 0 ? ExitCodes.Failed : ExitCodes.Ok;
    }

    // ---- purge ----

    Command PurgeCommand()
    {
        var queue = QueueArgument();
        var id = new Option<string?>("--id") { Description = "Only the message with this message_id." };
        var yes = new Option<bool>("--yes") { Description = "Confirms: purged messages are gone for good." };
        var json = CliOptions.Json();
        var purge = new Command("purge", "Deletes dead letters (all, or one by --id). Needs --yes.") { queue, id, yes, json };
        purge.SetAction((parse, ct) => cli.Guard(() => PurgeAsync(parse.GetValue(queue)!, parse.GetValue(id), parse.GetValue(yes), parse.GetValue(json), ct)));
        return purge;
    }

    async Task<int> PurgeAsync(string queue, string? wanted, bool confirmed, bool json, CancellationToken ct)
    {
        await using var broker = await cli.ConnectBrokerAsync(ct);
        await using var reader = await broker.OpenQueueAsync(queue, ct);
        if (!confirmed)
        {
            throw new CliException($"not purging {(wanted is null ? $"{reader.MessageCount:N0} message(s)" : $"message {wanted}")} of {queue} without --yes " +
                $"(see them first with: neuraltrade dlq show {queue})", ExitCodes.Usage);
        }

        if (wanted is null)
        {
            await reader.PurgeAsync(ct);
            if (json)
                cli.WriteJson(new PurgedJson(queue, reader.MessageCount, null));
            else
                cli.Console.MarkupLine($"purged {reader.MessageCount:N0} message(s) from {Markup.Escape(queue)}");
            return ExitCodes.Ok;
        }

        for (var i = 0; i < reader.MessageCount; i++)
        {
            if (await reader.NextAsync(ct) is not { } message)
                break;
            if (message.Properties.MessageId == wanted)
            {
                await reader.AckAsync(message, ct);
                if (json)
                    cli.WriteJson(new PurgedJson(queue, 1, wanted));
                else
                    cli.Console.MarkupLine($"purged message {Markup.Escape(wanted)} from {Markup.Escape(queue)}");
                return ExitCodes.Ok;
            }
        }

        throw new CliException($"{queue} holds no message {wanted}");
    }
}
