using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Threading.Channels;
using NeuralTrade.Events.Contracts;
using NeuralTrade.Events.Hosting;
using NeuralTrade.Events.MarketData;
using NeuralTrade.Events.Messaging;
using NeuralTrade.Events.Stores;
using NeuralTrade.Events.Tracking;
using Spectre.Console;
using StackExchange.Redis;

namespace NeuralTrade.Events.Cli;

/// <summary>
/// <c>neuraltrade</c>: what the people who run the fleet do by hand, over the public contract (raw JSON on the
/// public exchanges), the RabbitMQ management API and the registry in Redis.
/// </summary>
internal sealed class NeuralTradeCli(CliSettings settings, IAnsiConsole console, Func<string, string?>? environment = null)
{
    readonly Func<string, string?> _environment = environment ?? Environment.GetEnvironmentVariable;

    static readonly JsonSerializerOptions Indented = new(ContractJson.Options) { WriteIndented = true };

    public static async Task<int> RunAsync(string[] args, CliSettings settings, IAnsiConsole console, CancellationToken cancellationToken = default,
        Func<string, string?>? environment = null)
    {
        var root = new NeuralTradeCli(settings, console, environment).Build();
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var error in parse.Errors)
                console.MarkupLine($"[red]error:[/] {Markup.Escape(error.Message)}");
            console.MarkupLine($"see [bold]neuraltrade {Markup.Escape(string.Join(' ', parse.CommandResult.Command.Name == root.Name ? [] : CommandPath(parse)))} --help[/]");
            return ExitCodes.Usage;
        }

        var output = new StringWriter();
        var code = await parse.InvokeAsync(new InvocationConfiguration { Output = output, Error = output, EnableDefaultExceptionHandler = false }, cancellationToken);
        if (output.GetStringBuilder().Length > 0)
            console.Write(new Text(output.ToString()));
        return code;
    }

    static IEnumerable<string> CommandPath(ParseResult parse)
    {
        var names = new Stack<string>();
        for (var result = parse.CommandResult; result.Parent is System.CommandLine.Parsing.CommandResult parent; result = parent)
            names.Push(result.Command.Name);
        return names;
    }

    RootCommand Build()
    {
        var root = new RootCommand(
            "neuraltrade: operate the NeuralTrade.Events fleet. Services come from RABBITMQ_URL (default amqp://guest:guest@localhost:5672/), " +
            "RABBITMQ_MANAGEMENT_URL (default http://<broker host>:15672/), REDIS_URL and REDIS_KEY_PREFIX. Exit codes: 0 done, 1 the fleet " +
            "answered with a failure or not in time, 2 bad arguments or settings, 3 a service cannot be reached.");
        root.Subcommands.Add(CandlesCommand());
        root.Subcommands.Add(PredictCommand());
        root.Subcommands.Add(TrainCommand());
        root.Subcommands.Add(ModelsCommand());
        root.Subcommands.Add(DeadLetterCommand());
        root.Subcommands.Add(QueuesCommand());
        root.Subcommands.Add(BrokerCommand());
        return root;
    }

    // ---- arguments shared by several commands ----

    static Option<string> ExchangeOption() => new("--exchange") { Description = "Venue of the series, e.g. binance.", Required = true };
    static Option<string> SymbolOption() => new("--symbol") { Description = "Instrument of the series, e.g. BTC/USDT.", Required = true };

    static Option<string> IntervalOption()
    {
        var option = new Option<string>("--interval") { Description = $"Interval of the series: {string.Join(", ", Intervals.Names)}.", Required = true };
        option.Validators.Add(r =>
        {
            if (r.GetValue(option) is { } value && !Intervals.TryGetLength(value, out _))
                r.AddError($"--interval '{value}' is not one of {string.Join(", ", Intervals.Names)}.");
        });
        return option;
    }

    static Option<int> TimeoutOption(int seconds) => PositiveOption("--timeout", $"Seconds to wait for the fleet's answer (default {seconds}).", seconds);

    static Option<int> PositiveOption(string name, string description, int defaultValue, int max = int.MaxValue)
    {
        var option = new Option<int>(name) { Description = description, DefaultValueFactory = _ => defaultValue };
        option.Validators.Add(r =>
        {
            if (r.GetValue(option) is var value && (value < 1 || value > max))
                r.AddError($"{name} must be between 1 and {max}.");
        });
        return option;
    }

    static Argument<string> DeadLetterQueueArgument()
    {
        var argument = new Argument<string>("queue") { Description = "A dead-letter queue, <queue>_error (e.g. ingest_error)." };
        argument.Validators.Add(r =>
        {
            if (r.GetValue(argument) is { } name && !name.EndsWith("_error", StringComparison.Ordinal))
                r.AddError($"'{name}' is not a dead-letter queue: their names end in _error (did you mean {name}_error?).");
        });
        return argument;
    }

    /// <summary>Runs an action; an error the operator can act on becomes one line and its exit code.</summary>
    async Task<int> Guard(Func<Task<int>> action)
    {
        try
        {
            return await action();
        }
        catch (CliException e)
        {
            console.MarkupLine($"[red]error:[/] {Markup.Escape(e.Message)}");
            return e.ExitCode;
        }
        catch (RedisConnectionException e)
        {
            console.MarkupLine($"[red]error:[/] cannot reach Redis at {Markup.Escape(settings.RedisUrl ?? "")} ({Markup.Escape(e.Message)}); set REDIS_URL");
            return ExitCodes.Unreachable;
        }
        catch (RabbitMQ.Client.Exceptions.OperationInterruptedException e)
        {
            console.MarkupLine($"[red]error:[/] RabbitMQ refused: {Markup.Escape(e.ShutdownReason?.ReplyText ?? e.Message)}");
            return ExitCodes.Failed;
        }
    }

    // ---- candles publish ----

    Command CandlesCommand()
    {
        var file = new Argument<FileInfo>("file") { Description = "CSV with columns date,open,high,low,close,volume (a header row)." };
        var exchange = ExchangeOption();
        var symbol = SymbolOption();
        var interval = IntervalOption();
        var batch = PositiveOption("--batch-size", "Candles per market.candles message (1-10000, default 1000).", 1_000, 10_000);
        var source = new Option<string>("--source") { Description = "Names the feed in market.candles (default: the file name)." };
        var publish = new Command("publish", "Publishes the candles of a CSV file to market.candles, in order, with publisher confirms.")
        {
            file, exchange, symbol, interval, batch, source,
        };
        publish.SetAction((parse, ct) => Guard(async () =>
        {
            var path = parse.GetValue(file)!;
            if (!path.Exists)
                throw new CliException($"no such file {path.FullName}", ExitCodes.Usage);
            var candles = new List<Candle>();
            var skipped = 0;
            using (var reader = path.OpenText())
            {
                try
                {
                    foreach (var row in CandleCsv.Read(reader, parse.GetValue(exchange)!, parse.GetValue(symbol)!, parse.GetValue(interval)!))
                    {
                        if (row.Candle is not null)
                        {
                            candles.Add(row.Candle);
                        }
                        else
                        {
                            skipped++;
                            console.MarkupLine($"[yellow]skipped[/] line {row.Line}: {Markup.Escape(row.Error!)}");
                        }
                    }
                }
                catch (InvalidDataException e)
                {
                    throw new CliException($"{path.Name}: {e.Message}", ExitCodes.Usage);
                }
            }

            if (candles.Count == 0)
                throw new CliException($"{path.Name} holds no candle", ExitCodes.Usage);
            await using var broker = await BrokerSession.ConnectAsync(settings, ct);
            var messages = 0;
            foreach (var chunk in candles.Chunk(parse.GetValue(batch)))
            {
                await broker.PublishAsync(Exchanges.MarketCandles, new MarketCandles { Candles = chunk, Source = parse.GetValue(source) ?? path.Name }, ct);
                messages++;
            }

            console.MarkupLine($"published {candles.Count:N0} candles in {messages:N0} market.candles message(s) to {Markup.Escape(settings.RedactedBroker)}" +
                (skipped > 0 ? $"; skipped {skipped:N0} unreadable line(s)" : "") +
                ". Ingest answers with data.ingested / data.rejected.");
            return ExitCodes.Ok;
        }));
        return new Command("candles", "Market data.") { publish };
    }

    // ---- predict ----

    Command PredictCommand()
    {
        var exchange = ExchangeOption();
        var symbol = SymbolOption();
        var interval = IntervalOption();
        var timeout = TimeoutOption(30);
        var json = new Option<bool>("--json") { Description = "Print the answer's JSON body as it came." };
        var predict = new Command("predict", "Requests a prediction for the series' latest stored window (prediction.requested) and prints the answer.")
        {
            exchange, symbol, interval, timeout, json,
        };
        predict.SetAction((parse, ct) => Guard(async () =>
        {
            await using var broker = await BrokerSession.ConnectAsync(settings, ct);
            var answers = await broker.ListenAsync([Exchanges.PredictionCompleted, Exchanges.PredictionFailed], ct);
            var request = new PredictionRequested
            {
                RequestId = Guid.NewGuid(), Exchange = parse.GetValue(exchange)!, Symbol = parse.GetValue(symbol)!, Interval = parse.GetValue(interval)!,
            };
            await broker.PublishAsync(Exchanges.PredictionRequested, request, ct);
            var answer = await WaitForAsync(answers, m => m.Json is { } j && j.TryGetProperty("requestId", out var id) && id.ValueKind == JsonValueKind.String
                && id.GetString() == request.RequestId.ToString(), parse.GetValue(timeout), ct);
            if (answer is null)
                throw new CliException($"no answer to request {request.RequestId} within {parse.GetValue(timeout)} s: is an Inference worker running? " +
                    "(neuraltrade queues shows the consumers of 'inference')");
            if (parse.GetValue(json))
            {
                console.WriteLine(JsonSerializer.Serialize(answer.Json, Indented));
                return answer.Exchange == Exchanges.PredictionCompleted ? ExitCodes.Ok : ExitCodes.Failed;
            }

            if (answer.Exchange == Exchanges.PredictionFailed)
            {
                var failed = JsonSerializer.Deserialize<PredictionFailed>(answer.Body.Span, ContractJson.Options)!;
                console.MarkupLine($"[yellow]prediction.failed[/] [bold]{Markup.Escape(failed.Code)}[/]: {Markup.Escape(failed.Error)}");
                foreach (var reason in failed.Reasons ?? [])
                    console.MarkupLine($"  {Markup.Escape(reason.Code)} {Markup.Escape(reason.Field ?? "")}: {Markup.Escape(reason.Message)}");
                return ExitCodes.Failed;
            }

            var p = JsonSerializer.Deserialize<PredictionCompleted>(answer.Body.Span, ContractJson.Options)!;
            var table = new Table().Border(TableBorder.Rounded).AddColumn("prediction").AddColumn(Markup.Escape($"{p.Exchange}:{p.Symbol}:{p.Interval}"));
            table.AddRow("signal", $"[bold]{p.Signal.ToString().ToLowerInvariant()}[/] (confidence {p.Confidence.ToString("P1", CultureInfo.InvariantCulture)})");
            table.AddRow("sell / hold / buy", $"{p.Probabilities.Sell:0.000} / {p.Probabilities.Hold:0.000} / {p.Probabilities.Buy:0.000}");
            table.AddRow("risk", $"{p.Risk.Level.ToString().ToLowerInvariant()} ({p.Risk.Score:0.0}/10): {Markup.Escape(p.Risk.Recommendation)}");
            table.AddRow("risk factors", Markup.Escape(string.Join("; ", p.Risk.Factors)));
            table.AddRow("as of", p.AsOf.ToString("u", CultureInfo.InvariantCulture));
            table.AddRow("model", Markup.Escape($"{p.Model.Name} v{p.Model.Version}"));
            table.AddRow("latency", $"{p.LatencyMs:0.0} ms (in the worker)");
            table.AddRow("request", request.RequestId.ToString());
            console.Write(table);
            return ExitCodes.Ok;
        }));
        return predict;
    }

    // ---- train ----

    Command TrainCommand()
    {
        var exchange = ExchangeOption();
        var symbol = SymbolOption();
        var interval = IntervalOption();
        var from = new Option<DateTimeOffset?>("--from") { Description = "First openTime to train on (RFC 3339); all history when absent." };
        var to = new Option<DateTimeOffset?>("--to") { Description = "Last openTime to train on; up to the newest candle when absent." };
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
        var reason = new Option<string>("--reason") { Description = "Why (default manual).", DefaultValueFactory = _ => "manual" };
        var wait = new Option<bool>("--wait") { Description = "Follow the run: started, completed or failed, then the Registry's decision." };
        var timeout = TimeoutOption(1_800);
        var train = new Command("train", "Requests training for a series (training.requested); with --wait follows it to the gate's decision.")
        {
            exchange, symbol, interval, from, to, set, reason, wait, timeout,
        };
        train.SetAction((parse, ct) => Guard(async () =>
        {
            var hyperparameters = (parse.GetValue(set) ?? []).Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => ParseValue(p[1]), StringComparer.Ordinal);
            var request = new TrainingRequested
            {
                RequestId = Guid.NewGuid(), Exchange = parse.GetValue(exchange)!, Symbol = parse.GetValue(symbol)!, Interval = parse.GetValue(interval)!,
                From = parse.GetValue(from), To = parse.GetValue(to), Hyperparameters = hyperparameters.Count > 0 ? hyperparameters : null,
                Reason = parse.GetValue(reason)!,
            };
            await using var broker = await BrokerSession.ConnectAsync(settings, ct);
            ChannelReader<BrokerMessage>? events = null;
            if (parse.GetValue(wait))
            {
                events = await broker.ListenAsync([Exchanges.TrainingStarted, Exchanges.TrainingCompleted, Exchanges.TrainingFailed,
                    Exchanges.ModelDeployed, Exchanges.ModelRejected], ct);
            }

            await broker.PublishAsync(Exchanges.TrainingRequested, request, ct);
            console.MarkupLine($"training.requested [bold]{request.RequestId}[/] for {Markup.Escape($"{request.Exchange}:{request.Symbol}:{request.Interval}")}");
            if (events is null)
                return ExitCodes.Ok;

            var deadline = DateTimeOffset.UtcNow.AddSeconds(parse.GetValue(timeout));
            string? runId = null;
            while (true)
            {
                var left = deadline - DateTimeOffset.UtcNow;
                var message = left > TimeSpan.Zero ? await WaitForAsync(events, _ => true, (int)Math.Ceiling(left.TotalSeconds), ct) : null;
                if (message?.Json is not { } j)
                {
                    if (message is null)
                        throw new CliException($"no {(runId is null ? "training result" : "decision of the Registry")} within {parse.GetValue(timeout)} s " +
                            "(neuraltrade queues shows whether Training and Registry consume)");
                    continue;
                }

                var ofRequest = j.TryGetProperty("requestId", out var r) && r.GetString() == request.RequestId.ToString();
                var ofRun = runId is not null && j.TryGetProperty("runId", out var run) && run.GetString() == runId;
                switch (message.Exchange)
                {
                    case Exchanges.TrainingStarted when ofRequest:
                        console.MarkupLine($"training.started run {Markup.Escape(j.GetProperty("runId").GetString()!)}");
                        break;
                    case Exchanges.TrainingFailed when ofRequest:
                        console.MarkupLine($"[red]training.failed[/]: {Markup.Escape(j.GetProperty("error").GetString() ?? "")}");
                        return ExitCodes.Failed;
                    case Exchanges.TrainingCompleted when ofRequest:
                        runId = j.GetProperty("runId").GetString();
                        var completed = JsonSerializer.Deserialize<TrainingCompleted>(message.Body.Span, ContractJson.Options)!;
                        console.MarkupLine($"training.completed run {Markup.Escape(runId!)} in {completed.DurationSeconds:0.0} s on {completed.Dataset.Samples:N0} samples: " +
                            Markup.Escape(string.Join(", ", completed.Metrics.OrderBy(m => m.Key).Select(m => $"{m.Key} {m.Value:0.###}"))));
                        break;
                    case Exchanges.ModelDeployed when ofRun:
                        console.MarkupLine($"[green]model.deployed[/] {Markup.Escape(j.GetProperty("modelName").GetString()!)} v{j.GetProperty("version").GetInt32()}");
                        return ExitCodes.Ok;
                    case Exchanges.ModelRejected when ofRun:
                        console.MarkupLine($"[yellow]model.rejected[/]: {Markup.Escape(j.GetProperty("reason").GetString()!)}");
                        return ExitCodes.Ok;
                }
            }
        }));
        return train;
    }

    static JsonElement ParseValue(string text)
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

    // ---- models ----

    Command ModelsCommand()
    {
        var model = new Option<string?>("--model") { Description = "Only this model (e.g. signal-binance-btc-usdt-1m); default: every model with a champion." };
        var list = new Command("list", "Lists registered versions and the champion of each model (from the fleet's registry in Redis).") { model };
        list.SetAction((parse, ct) => Guard(async () =>
        {
            await using var redis = await ConnectRedisAsync();
            var store = new RedisModelRegistryStore(redis, new RedisKeys(settings.RedisKeyPrefix));
            var names = parse.GetValue(model) is { } one ? [one] : (await store.GetChampionsAsync(ct)).Select(c => c.ModelName).Distinct().Order(StringComparer.Ordinal).ToList();
            if (names.Count == 0)
            {
                console.MarkupLine("no model has a champion yet: request training with [bold]neuraltrade train[/]");
                return ExitCodes.Ok;
            }

            var table = new Table().Border(TableBorder.Rounded)
                .AddColumns("model", "version", "", "run", "macro-F1", "accuracy", "registered", "registry");
            foreach (var name in names)
            {
                var champion = (await store.GetChampionAsync(name, ct))?.Version;
                var versions = await store.ListVersionsAsync(name, ct);
                if (versions.Count == 0)
                    throw new CliException($"{name} has no registered version");
                foreach (var v in versions.OrderByDescending(v => v.Version))
                {
                    table.AddRow(Markup.Escape(name), $"v{v.Version}", v.Version == champion ? "[green]champion[/]" : "", Markup.Escape(v.RunId),
                        Metric(v.Metrics, "macro_f1"), Metric(v.Metrics, "accuracy"), v.RegisteredAt.ToString("u", CultureInfo.InvariantCulture), v.Registry);
                }
            }

            console.Write(table);
            return ExitCodes.Ok;
        }));

        var promoteName = new Argument<string>("model") { Description = "Model name." };
        var promoteVersion = new Argument<int>("version") { Description = "Registered version to make the champion." };
        var promoteReason = new Option<string?>("--reason") { Description = "Recorded with the command." };
        var promoteTimeout = TimeoutOption(60);
        var promote = new Command("promote", "Makes a registered version the champion (model.promote) and waits for model.deployed.")
        {
            promoteName, promoteVersion, promoteReason, promoteTimeout,
        };
        promote.SetAction((parse, ct) => Guard(() => CommandAsync(Exchanges.ModelPromote, new PromoteModel
        {
            ModelName = parse.GetValue(promoteName)!, Version = parse.GetValue(promoteVersion), Reason = parse.GetValue(promoteReason),
        }, "registry-promote_error", parse.GetValue(promoteName)!, parse.GetValue(promoteVersion), parse.GetValue(promoteTimeout), ct)));

        var rollbackName = new Argument<string>("model") { Description = "Model name." };
        var rollbackReason = new Option<string?>("--reason") { Description = "Recorded with the command." };
        var rollbackTimeout = TimeoutOption(60);
        var rollback = new Command("rollback", "Makes the previous champion the champion again (model.rollback) and waits for model.deployed.")
        {
            rollbackName, rollbackReason, rollbackTimeout,
        };
        rollback.SetAction((parse, ct) => Guard(() => CommandAsync(Exchanges.ModelRollback, new RollbackModel
        {
            ModelName = parse.GetValue(rollbackName)!, Reason = parse.GetValue(rollbackReason),
        }, "registry-rollback_error", parse.GetValue(rollbackName)!, null, parse.GetValue(rollbackTimeout), ct)));

        return new Command("models", "The model registry: versions, champion, promote, rollback.") { list, promote, rollback };
    }

    /// <summary>Publishes a registry command and waits for its model.deployed, or finds it dead-lettered with the reason.</summary>
    async Task<int> CommandAsync<T>(string exchange, T command, string errorQueue, string modelName, int? version, int timeoutSeconds, CancellationToken ct)
        where T : IntegrationEvent
    {
        await using var broker = await BrokerSession.ConnectAsync(settings, ct);
        var deployed = await broker.ListenAsync([Exchanges.ModelDeployed], ct);
        await broker.PublishAsync(exchange, command, ct);
        var deadline = DateTimeOffset.UtcNow.AddSeconds(timeoutSeconds);
        while (DateTimeOffset.UtcNow < deadline)
        {
            var answer = await WaitForAsync(deployed, m => m.Json is { } j && j.GetProperty("modelName").GetString() == modelName
                && (version is null || j.GetProperty("version").GetInt32() == version), 1, ct);
            if (answer?.Json is { } json)
            {
                console.MarkupLine($"[green]model.deployed[/] {Markup.Escape(modelName)} v{json.GetProperty("version").GetInt32()}" +
                    (json.TryGetProperty("previousVersion", out var previous) && previous.ValueKind == JsonValueKind.Number ? $" (was v{previous.GetInt32()})" : "") +
                    $", reason {Markup.Escape(json.TryGetProperty("reason", out var r) ? r.GetString() ?? "" : "")}");
                return ExitCodes.Ok;
            }

            if (await FindDeadLetteredAsync(broker, errorQueue, command.EventId, ct) is { } refused)
            {
                console.MarkupLine($"[red]refused[/] by the Registry: {Markup.Escape(refused)}");
                return ExitCodes.Failed;
            }
        }

        throw new CliException($"no model.deployed for {modelName} within {timeoutSeconds} s: is a Registry worker running? " +
            $"(neuraltrade queues; neuraltrade dlq show {errorQueue})");
    }

    static async Task<string?> FindDeadLetteredAsync(BrokerSession broker, string errorQueue, Guid messageId, CancellationToken ct)
    {
        QueueReader reader;
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

    async Task<ConnectionMultiplexer> ConnectRedisAsync()
    {
        var options = settings.Redis.ToConfigurationOptions();
        options.AbortOnConnectFail = true;
        options.ConnectTimeout = 5_000;
        options.ConnectRetry = 1;
        return await ConnectionMultiplexer.ConnectAsync(options);
    }

    static string Metric(IReadOnlyDictionary<string, double> metrics, string name) =>
        metrics.TryGetValue(name, out var v) ? v.ToString("0.000", CultureInfo.InvariantCulture) : "";

    // ---- dead-letter queues ----

    Command DeadLetterCommand()
    {
        var list = new Command("list", "Lists the dead-letter queues (<queue>_error) and how many messages each holds.");
        list.SetAction((_, ct) => Guard(async () =>
        {
            var queues = await QueuesNowAsync(ct);
            queues = queues.Where(q => q.IsDeadLetter).ToList();
            if (queues.Count == 0)
            {
                console.MarkupLine("no dead-letter queue exists yet (MassTransit creates <queue>_error with its first dead letter)");
                return ExitCodes.Ok;
            }

            var table = new Table().Border(TableBorder.Rounded).AddColumn("dead-letter queue").AddColumn(new TableColumn("messages").RightAligned())
                .AddColumn("replays to");
            foreach (var q in queues)
                table.AddRow(Markup.Escape(q.Name), q.Messages > 0 ? $"[red]{q.Messages:N0}[/]" : "0", Markup.Escape(SourceQueueOf(q.Name)));
            console.Write(table);
            return ExitCodes.Ok;
        }));

        var showQueue = DeadLetterQueueArgument();
        var count = PositiveOption("--count", "How many messages to show, oldest first (default 10).", 10, 10_000);
        var id = new Option<string?>("--id") { Description = "Only the message with this message_id (the body's eventId)." };
        var maxBody = PositiveOption("--max-body", "Characters of each body to print (default 2000).", 2_000);
        var show = new Command("show", "Shows dead letters without removing them: body, reason, exception and stack trace.") { showQueue, count, id, maxBody };
        show.SetAction((parse, ct) => Guard(async () =>
        {
            await using var broker = await BrokerSession.ConnectAsync(settings, ct);
            await using var reader = await broker.OpenQueueAsync(parse.GetValue(showQueue)!, ct);
            var shown = 0;
            var wanted = parse.GetValue(id);
            for (var i = 0; i < reader.MessageCount && shown < parse.GetValue(count); i++)
            {
                if (await reader.NextAsync(ct) is not { } message)
                    break;
                if (wanted is not null && message.Properties.MessageId != wanted)
                    continue;
                shown++;
                console.Write(DeadLetterPanel(message, i + 1, parse.GetValue(maxBody)));
            }

            console.MarkupLine($"{shown:N0} of {reader.MessageCount:N0} message(s) in {Markup.Escape(reader.Queue)} shown; none removed");
            return wanted is not null && shown == 0 ? ExitCodes.Failed : ExitCodes.Ok;
        }));

        var replayQueue = DeadLetterQueueArgument();
        var replayId = new Option<string?>("--id") { Description = "Only the message with this message_id." };
        var replayCount = new Option<int?>("--count") { Description = "At most this many, oldest first (default: all)." };
        var target = new Option<string?>("--to") { Description = "Queue to send them to (default: the queue the dead-letter queue belongs to)." };
        var replay = new Command("replay", "Sends dead letters back to their queue (fault headers removed), each removed only once the broker confirmed the copy.")
        {
            replayQueue, replayId, replayCount, target,
        };
        replay.SetAction((parse, ct) => Guard(async () =>
        {
            var queue = parse.GetValue(replayQueue)!;
            var destination = parse.GetValue(target) ?? SourceQueueOf(queue);
            await using var broker = await BrokerSession.ConnectAsync(settings, ct);
            await using (await broker.OpenQueueAsync(destination, ct))
            {
                // only checks that the destination exists: a copy to nowhere would be lost
            }

            await using var reader = await broker.OpenQueueAsync(queue, ct);
            var limit = parse.GetValue(replayCount) ?? int.MaxValue;
            var wanted = parse.GetValue(replayId);
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

            console.MarkupLine($"replayed {replayed:N0} message(s) from {Markup.Escape(queue)} to {Markup.Escape(destination)}");
            return wanted is not null && replayed == 0 ? ExitCodes.Failed : ExitCodes.Ok;
        }));

        var purgeQueue = DeadLetterQueueArgument();
        var purgeId = new Option<string?>("--id") { Description = "Only the message with this message_id." };
        var yes = new Option<bool>("--yes") { Description = "Confirms: purged messages are gone for good." };
        var purge = new Command("purge", "Deletes dead letters (all, or one by --id). Needs --yes.") { purgeQueue, purgeId, yes };
        purge.SetAction((parse, ct) => Guard(async () =>
        {
            var queue = parse.GetValue(purgeQueue)!;
            await using var broker = await BrokerSession.ConnectAsync(settings, ct);
            await using var reader = await broker.OpenQueueAsync(queue, ct);
            var wanted = parse.GetValue(purgeId);
            if (!parse.GetValue(yes))
            {
                throw new CliException($"not purging {(wanted is null ? $"{reader.MessageCount:N0} message(s)" : $"message {wanted}")} of {queue} without --yes " +
                    $"(see them first with: neuraltrade dlq show {queue})", ExitCodes.Usage);
            }

            if (wanted is null)
            {
                await reader.PurgeAsync(ct);
                console.MarkupLine($"purged {reader.MessageCount:N0} message(s) from {Markup.Escape(queue)}");
                return ExitCodes.Ok;
            }

            for (var i = 0; i < reader.MessageCount; i++)
            {
                if (await reader.NextAsync(ct) is not { } message)
                    break;
                if (message.Properties.MessageId == wanted)
                {
                    await reader.AckAsync(message, ct);
                    console.MarkupLine($"purged message {Markup.Escape(wanted)} from {Markup.Escape(queue)}");
                    return ExitCodes.Ok;
                }
            }

            throw new CliException($"{queue} holds no message {wanted}");
        }));

        return new Command("dlq", "Dead-letter queues (<queue>_error): list, show, replay, purge.") { list, show, replay, purge };
    }

    static string SourceQueueOf(string deadLetterQueue) => deadLetterQueue[..^"_error".Length];

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
        var body = message.Json is { } json ? JsonSerializer.Serialize(json, Indented) : message.Text;
        if (body.Length > maxBody)
            body = body[..maxBody] + $"… ({body.Length - maxBody:N0} more characters)";
        grid.AddRow("[grey]body[/]", Markup.Escape(body));
        if (message.Header("MT-Fault-StackTrace") is { Length: > 0 } stack)
            grid.AddRow("[grey]stack[/]", Markup.Escape(stack));
        return new Panel(grid).Header($"#{position}").Border(BoxBorder.Rounded).Expand();
    }

    // ---- broker definitions ----

    Command BrokerCommand()
    {
        var template = new Option<FileInfo>("--template")
        {
            Description = "Definitions template (default deploy/rabbitmq/definitions.template.json).",
            DefaultValueFactory = _ => new FileInfo(Path.Combine("deploy", "rabbitmq", "definitions.template.json")),
        };
        var output = new Option<FileInfo?>("--out") { Description = "File to write (default: standard output)." };
        var definitions = new Command("definitions",
            "Renders the broker's definitions (users, permissions, exchanges, dead-letter policy) with each user's password hashed from " +
            "RABBITMQ_PASSWORD_<USER> or RABBITMQ_PASSWORD_<USER>_FILE, for RabbitMQ's load_definitions.")
        {
            template, output,
        };
        definitions.SetAction((parse, ct) => Guard(async () =>
        {
            var source = parse.GetValue(template)!;
            if (!source.Exists)
                throw new CliException($"no such file {source.FullName}", ExitCodes.Usage);
            var rendered = BrokerDefinitions.Render(await File.ReadAllTextAsync(source.FullName, ct), _environment);
            if (parse.GetValue(output) is { } target)
            {
                target.Directory?.Create();
                await File.WriteAllTextAsync(target.FullName, rendered, ct);
                // Hashes only, yet still not for every reader.
                if (!OperatingSystem.IsWindows())
                    File.SetUnixFileMode(target.FullName, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead);
                console.MarkupLine($"wrote {Markup.Escape(target.FullName)}");
            }
            else
            {
                console.Profile.Out.Writer.Write(rendered);
            }

            return ExitCodes.Ok;
        }));
        return new Command("broker", "The broker's own configuration.") { definitions };
    }

    // ---- queues ----

    Command QueuesCommand()
    {
        var all = new Option<bool>("--all") { Description = "Also the temporary queues of clients (amq.gen-…)." };
        var queues = new Command("queues", "Shows every queue of the vhost: messages ready and unacknowledged, consumers, rates (management API).") { all };
        queues.SetAction((parse, ct) => Guard(async () =>
        {
            var rows = (await QueuesNowAsync(ct)).Where(q => parse.GetValue(all) || !q.Name.StartsWith("amq.", StringComparison.Ordinal)).ToList();
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

            console.Write(table);
            var dead = rows.Where(q => q.IsDeadLetter).Sum(q => q.Messages);
            console.MarkupLine(dead > 0 ? $"[red]{dead:N0} dead letter(s)[/]: neuraltrade dlq list" : "no dead letters");
            return ExitCodes.Ok;
        }));
        return queues;
    }

    /// <summary>
    /// The vhost's queues from the management API, with ready messages and consumers as the broker counts them this
    /// instant (the API's own figures are sampled every few seconds); unacked and rates are the API's.
    /// </summary>
    async Task<List<QueueInfo>> QueuesNowAsync(CancellationToken ct)
    {
        using var management = new ManagementApi(settings);
        var queues = await management.QueuesAsync(ct);
        await using var broker = await BrokerSession.ConnectAsync(settings, ct);
        var result = new List<QueueInfo>(queues.Count);
        foreach (var q in queues)
        {
            if (q.Name.StartsWith("amq.", StringComparison.Ordinal))
                result.Add(q);
            else if (await broker.CountAsync(q.Name, ct) is { } now)
                result.Add(q with { Ready = now.Ready, Consumers = (int)now.Consumers });
        }

        return result;
    }

    static async Task<BrokerMessage?> WaitForAsync(ChannelReader<BrokerMessage> reader, Func<BrokerMessage, bool> match, int seconds, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(seconds));
        try
        {
            while (await reader.WaitToReadAsync(timeout.Token))
            {
                while (reader.TryRead(out var message))
                {
                    if (match(message))
                        return message;
                }
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
        }

        return null;
    }
}
