using System.CommandLine;
using System.Text.Json;
using System.Threading.Channels;
using NeuralTrade.Events.Contracts;
using Spectre.Console;

namespace NeuralTrade.Events.Cli.Commands;

/// <summary><c>neuraltrade train</c>: training.requested for a series; with --wait, the run followed to the Registry's decision.</summary>
internal sealed class TrainCommand(NeuralTradeCli cli)
{
    readonly Option<string> _exchange = CliOptions.Exchange();
    readonly Option<string> _symbol = CliOptions.Symbol();
    readonly Option<string> _interval = CliOptions.Interval();
    readonly Option<DateTimeOffset?> _from = new("--from") { Description = "First openTime to train on (RFC 3339); all history when absent." };
    readonly Option<DateTimeOffset?> _to = new("--to") { Description = "Last openTime to train on; up to the newest candle when absent." };
    readonly Option<string[]> _set = SetOption();
    readonly Option<string> _reason = new("--reason") { Description = "Why (default manual).", DefaultValueFactory = _ => "manual" };
    readonly Option<bool> _wait = new("--wait") { Description = "Follow the run: started, completed or failed, then the Registry's decision." };
    readonly Option<int> _timeout = CliOptions.Timeout(1_800);
    readonly Option<bool> _json = CliOptions.Json("Print JSON lines: {\"event\", \"message\"} for training.requested and, with --wait, each event that follows.");

    public Command Build()
    {
        var train = new Command("train", "Requests training for a series (training.requested); with --wait follows it to the gate's decision.")
        {
            _exchange, _symbol, _interval, _from, _to, _set, _reason, _wait, _timeout, _json,
        };
        train.SetAction((parse, ct) => cli.Guard(() => TrainAsync(parse, ct)));
        return train;
    }

    internal static Option<string[]> SetOption()
    {
        var set = new Option<string[]>("--set")
        {
            Description = "A hyperparameter, name=value (repeatable), e.g. --set epochs=20 --set windowSize=30.", AllowMultipleArgumentsPerToken = false,
        };
        set.Validators.Add(r =>
        {
            foreach (var pair in r.GetValue(set) ?? [])
            {
                if (pair.Split('=', 2) is not [{ Length: > 0 }, { Length: > 0 }])
                    r.AddError($"--set '{pair}' is not name=value.");
            }
        });
        return set;
    }

    async Task<int> TrainAsync(ParseResult parse, CancellationToken ct)
    {
        var hyperparameters = (parse.GetValue(_set) ?? []).Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => ParseValue(p[1]), StringComparer.Ordinal);
        var request = new TrainingRequested
        {
            RequestId = Guid.NewGuid(), Exchange = parse.GetValue(_exchange)!, Symbol = parse.GetValue(_symbol)!, Interval = parse.GetValue(_interval)!,
            From = parse.GetValue(_from), To = parse.GetValue(_to), Hyperparameters = hyperparameters.Count > 0 ? hyperparameters : null,
            Reason = parse.GetValue(_reason)!,
        };
        await using var broker = await cli.ConnectBrokerAsync(ct);
        ChannelReader<BrokerMessage>? events = null;
        if (parse.GetValue(_wait))
        {
            events = await broker.ListenAsync([Exchanges.TrainingStarted, Exchanges.TrainingCompleted, Exchanges.TrainingFailed,
                Exchanges.ModelDeployed, Exchanges.ModelRejected], ct);
        }

        await broker.PublishAsync(Exchanges.TrainingRequested, request, ct);
        var json = parse.GetValue(_json);
        if (json)
            cli.WriteJsonLine(new TrainEventJson(Exchanges.TrainingRequested, JsonSerializer.SerializeToElement(request, ContractJson.Options)));
        else
            cli.Console.MarkupLine($"training.requested [bold]{request.RequestId}[/] for {Markup.Escape($"{request.Exchange}:{request.Symbol}:{request.Interval}")}");
        if (events is null)
            return ExitCodes.Ok;
        return await FollowAsync(events, request.RequestId, parse.GetValue(_timeout), json, ct);
    }

    /// <summary>Prints the run's events as they come until the Registry decides, the run fails or the time is up.</summary>
    async Task<int> FollowAsync(ChannelReader<BrokerMessage> events, Guid requestId, int timeoutSeconds, bool json, CancellationToken ct)
    {
        var deadline = DateTimeOffset.UtcNow.AddSeconds(timeoutSeconds);
        string? runId = null;
        while (true)
        {
            var left = deadline - DateTimeOffset.UtcNow;
            var message = left > TimeSpan.Zero ? await NeuralTradeCli.WaitForAsync(events, _ => true, (int)Math.Ceiling(left.TotalSeconds), ct) : null;
            if (message?.Json is not { } j)
            {
                if (message is null)
                    throw new CliException($"no {(runId is null ? "training result" : "decision of the Registry")} within {timeoutSeconds} s " +
                        "(neuraltrade queues shows whether Training and Registry consume)");
                continue;
            }

            var ofRequest = j.TryGetProperty("requestId", out var r) && r.GetString() == requestId.ToString();
            var ofRun = runId is not null && j.TryGetProperty("runId", out var run) && run.GetString() == runId;
            if (json)
            {
                if (message.Exchange is Exchanges.TrainingStarted or Exchanges.TrainingFailed or Exchanges.TrainingCompleted ? ofRequest : ofRun)
                    cli.WriteJsonLine(new TrainEventJson(message.Exchange, j));
                switch (message.Exchange)
                {
                    case Exchanges.TrainingFailed when ofRequest:
                        return ExitCodes.Failed;
                    case Exchanges.TrainingCompleted when ofRequest:
                        runId = j.GetProperty("runId").GetString();
                        break;
                    case Exchanges.ModelDeployed or Exchanges.ModelRejected when ofRun:
                        return ExitCodes.Ok;
                }

                continue;
            }

            switch (message.Exchange)
            {
                case Exchanges.TrainingStarted when ofRequest:
                    cli.Console.MarkupLine($"training.started run {Markup.Escape(j.GetProperty("runId").GetString()!)}");
                    break;
                case Exchanges.TrainingFailed when ofRequest:
                    cli.Console.MarkupLine($"[red]training.failed[/]: {Markup.Escape(j.GetProperty("error").GetString() ?? "")}");
                    return ExitCodes.Failed;
                case Exchanges.TrainingCompleted when ofRequest:
                    runId = j.GetProperty("runId").GetString();
                    PrintCompleted(runId!, JsonSerializer.Deserialize<TrainingCompleted>(message.Body.Span, ContractJson.Options)!);
                    break;
                case Exchanges.ModelDeployed when ofRun:
                    cli.Console.MarkupLine($"[green]model.deployed[/] {Markup.Escape(j.GetProperty("modelName").GetString()!)} v{j.GetProperty("version").GetInt32()}");
                    return ExitCodes.Ok;
                case Exchanges.ModelRejected when ofRun:
                    cli.Console.MarkupLine($"[yellow]model.rejected[/]: {Markup.Escape(j.GetProperty("reason").GetString()!)}");
                    return ExitCodes.Ok;
            }
        }
    }

    void PrintCompleted(string runId, TrainingCompleted completed) =>
        cli.Console.MarkupLine($"training.completed run {Markup.Escape(runId)} in {completed.DurationSeconds:0.0} s on {completed.Dataset.Samples:N0} samples: " +
            Markup.Escape(string.Join(", ", completed.Metrics.OrderBy(m => m.Key).Select(m => $"{m.Key} {m.Value:0.###}"))));

    internal static JsonElement ParseValue(string text)
    {
        try
        {
            return JsonDocument.Parse(text).RootElement.Clone();
        }
        catch (JsonException)
        {
            return JsonSerializer.SerializeToElement(text);
        }
    }
}
