using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using NeuralTrade.Events.Contracts;
using Spectre.Console;

namespace NeuralTrade.Events.Cli.Commands;

/// <summary><c>neuraltrade models list|promote|rollback</c>: the registry in Redis, and the Registry's commands.</summary>
internal sealed class ModelsCommand(NeuralTradeCli cli)
{
    public Command Build() =>
        new("models", "The model registry: versions, champion, promote, rollback.") { ListCommand(), PromoteCommand(), RollbackCommand() };

    Command ListCommand()
    {
        var model = new Option<string?>("--model") { Description = "Only this model (e.g. signal-binance-btc-usdt-1m); default: every model with a champion." };
        var json = CliOptions.Json();
        var list = new Command("list", "Lists registered versions and the champion of each model (from the fleet's registry in Redis).") { model, json };
        list.SetAction((parse, ct) => cli.Guard(() => ListAsync(parse.GetValue(model), parse.GetValue(json), ct)));
        return list;
    }

    async Task<int> ListAsync(string? model, bool json, CancellationToken ct)
    {
        await using var redis = await cli.ConnectRedisAsync(ct);
        var store = redis.Registry;
        var names = model is { } one ? [one] : (await store.GetChampionsAsync(ct)).Select(c => c.ModelName).Distinct().Order(StringComparer.Ordinal).ToList();
        if (json)
        {
            var models = new List<ModelJson>(names.Count);
            foreach (var name in names)
            {
                var champion = (await store.GetChampionAsync(name, ct))?.Version;
                var versions = await store.ListVersionsAsync(name, ct);
                if (versions.Count == 0)
                    throw new CliException($"{name} has no registered version");
                models.Add(new ModelJson(name, champion, versions.OrderByDescending(v => v.Version)
                    .Select(v => new ModelVersionJson(v.Version, v.Version == champion, v.RunId, v.Artifact, v.Metrics, v.RegisteredAt, v.Registry)).ToList()));
            }

            cli.WriteJson(new ModelsJson(models));
            return ExitCodes.Ok;
        }

        if (names.Count == 0)
        {
            cli.Console.MarkupLine("no model has a champion yet: request training with [bold]neuraltrade train[/]");
            return ExitCodes.Ok;
        }

        var table = new Table().Border(TableBorder.Rounded)
            .AddColumns("model", "version", "", "run", "gate macro-F1", "gate accuracy", "registered", "registry");
        foreach (var name in names)
        {
            var champion = (await store.GetChampionAsync(name, ct))?.Version;
            var versions = await store.ListVersionsAsync(name, ct);
            if (versions.Count == 0)
                throw new CliException($"{name} has no registered version");
            foreach (var v in versions.OrderByDescending(v => v.Version))
            {
                table.AddRow(Markup.Escape(name), $"v{v.Version}", v.Version == champion ? "[green]champion[/]" : "", Markup.Escape(v.RunId),
                    GateMetric(v.Metrics, "macro_f1"), GateMetric(v.Metrics, "accuracy"), v.RegisteredAt.ToString("u", CultureInfo.InvariantCulture), v.Registry);
            }
        }

        cli.Console.Write(table);
        return ExitCodes.Ok;
    }

    /// <summary>The figure the gate decided on (<c>gate_</c>), or the run's own for a version registered without the gate.</summary>
    static string GateMetric(IReadOnlyDictionary<string, double> metrics, string name) =>
        Metric(metrics, metrics.ContainsKey("gate_" + name) ? "gate_" + name : name);

    static string Metric(IReadOnlyDictionary<string, double> metrics, string name) =>
        metrics.TryGetValue(name, out var v) ? v.ToString("0.000", CultureInfo.InvariantCulture) : "";

    Command PromoteCommand()
    {
        var name = new Argument<string>("model") { Description = "Model name." };
        var version = new Argument<int>("version") { Description = "Registered version to make the champion." };
        var reason = new Option<string?>("--reason") { Description = "Recorded with the command." };
        var timeout = CliOptions.Timeout(60);
        var json = DeployedJson();
        var promote = new Command("promote", "Makes a registered version the champion (model.promote) and waits for model.deployed.")
        {
            name, version, reason, timeout, json,
        };
        promote.SetAction((parse, ct) => cli.Guard(() => SendAsync(Exchanges.ModelPromote, new PromoteModel
        {
            ModelName = parse.GetValue(name)!, Version = parse.GetValue(version), Reason = parse.GetValue(reason),
        }, "registry-promote_error", parse.GetValue(name)!, parse.GetValue(version), parse.GetValue(timeout), parse.GetValue(json), ct)));
        return promote;
    }

    Command RollbackCommand()
    {
        var name = new Argument<string>("model") { Description = "Model name." };
        var reason = new Option<string?>("--reason") { Description = "Recorded with the command." };
        var timeout = CliOptions.Timeout(60);
        var json = DeployedJson();
        var rollback = new Command("rollback", "Makes the previous champion the champion again (model.rollback) and waits for model.deployed.")
        {
            name, reason, timeout, json,
        };
        rollback.SetAction((parse, ct) => cli.Guard(() => SendAsync(Exchanges.ModelRollback, new RollbackModel
        {
            ModelName = parse.GetValue(name)!, Reason = parse.GetValue(reason),
        }, "registry-rollback_error", parse.GetValue(name)!, null, parse.GetValue(timeout), parse.GetValue(json), ct)));
        return rollback;
    }

    static Option<bool> DeployedJson() => CliOptions.Json("Print the model.deployed body as it came, as JSON (a refusal is an error, on standard error).");

    /// <summary>Publishes a registry command and waits for its model.deployed, or finds it dead-lettered with the reason.</summary>
    async Task<int> SendAsync<T>(string exchange, T command, string errorQueue, string modelName, int? version, int timeoutSeconds, bool json,
        CancellationToken ct)
        where T : IntegrationEvent
    {
        await using var broker = await cli.ConnectBrokerAsync(ct);
        var deployed = await broker.ListenAsync([Exchanges.ModelDeployed], ct);
        await broker.PublishAsync(exchange, command, ct);
        var deadline = DateTimeOffset.UtcNow.AddSeconds(timeoutSeconds);
        while (DateTimeOffset.UtcNow < deadline)
        {
            var answer = await NeuralTradeCli.WaitForAsync(deployed, m => m.Json is { } j && j.GetProperty("modelName").GetString() == modelName
                && (version is null || j.GetProperty("version").GetInt32() == version), 1, ct);
            if (answer?.Json is { } body)
            {
                if (json)
                {
                    cli.WriteJson(body);
                    return ExitCodes.Ok;
                }

                cli.Console.MarkupLine($"[green]model.deployed[/] {Markup.Escape(modelName)} v{body.GetProperty("version").GetInt32()}" +
                    (body.TryGetProperty("previousVersion", out var previous) && previous.ValueKind == JsonValueKind.Number ? $" (was v{previous.GetInt32()})" : "") +
                    $", reason {Markup.Escape(body.TryGetProperty("reason", out var r) ? r.GetString() ?? "" : "")}");
                return ExitCodes.Ok;
            }

            if (await FindDeadLetteredAsync(broker, errorQueue, command.EventId, ct) is { } refused)
            {
                // A refusal is an error, with or without --json: standard error.
                cli.Error.MarkupLine($"[red]refused[/] by the Registry: {Markup.Escape(refused)}");
                return ExitCodes.Failed;
            }
        }

        throw new CliException($"no model.deployed for {modelName} within {timeoutSeconds} s: is a Registry worker running? " +
            $"(neuraltrade queues; neuraltrade dlq show {errorQueue})");
    }

    static async Task<string?> FindDeadLetteredAsync(IBrokerSession broker, string errorQueue, Guid messageId, CancellationToken ct)
    {
        IQueueReader reader;
        try
        {
            reader = await broker.OpenQueueAsync(errorQueue, ct);
        }
        catch (CliException)
        {
            return null; // no dead letter yet: MassTransit creates the queue with its first one
        }

        await using (reader)
        {
            for (var i = 0; i < reader.MessageCount; i++)
            {
                if (await reader.NextAsync(ct) is not { } message)
                    break;
                if (message.Properties.MessageId == messageId.ToString())
                    return message.Header("MT-Fault-Message") ?? message.Header("MT-Reason") ?? "dead-lettered";
            }
        }

        return null;
    }
}
