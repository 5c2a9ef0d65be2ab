using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Threading.Channels;
using NeuralTrade.Events.Contracts;
using Spectre.Console;

namespace NeuralTrade.Events.Cli.Commands;

/// <summary>
/// <c>neuraltrade search</c>: a hyperparameter search (training.requested with <c>search</c>), followed to the end: a
/// progress line as trials end (read from the search's state in Redis, when REDIS_URL is set), the table of trials, the
/// candidate announced and the Registry's decision on it.
/// </summary>
internal sealed class SearchCommand(NeuralTradeCli cli)
{
    readonly Option<string> _exchange = CliOptions.Exchange();
    readonly Option<string> _symbol = CliOptions.Symbol();
    readonly Option<string> _interval = CliOptions.Interval();
    readonly Option<DateTimeOffset?> _from = new("--from") { Description = "First openTime to train on (RFC 3339); all history when absent." };
    readonly Option<DateTimeOffset?> _to = new("--to") { Description = "Last openTime to train on; up to the newest candle when absent." };
    readonly Option<string[]> _space = SpaceOption();
    readonly Option<string> _strategy = new("--strategy") { Description = "random (default) or grid.", DefaultValueFactory = _ => "random" };
    readonly Option<int> _trials = CliOptions.Positive("--trials", "The budget: trials to run, 1 to 256 (default 16).", 16, 256);
    readonly Option<int> _seed = new("--seed") { Description = "Seed of random search's draws (default 0).", DefaultValueFactory = _ => 0 };
    readonly Option<int?> _grace = new("--grace") { Description = "Early stopping (ASHA): epochs every trial trains before it can be stopped." };
    readonly Option<int?> _eta = new("--eta") { Description = "Early stopping's reduction factor η, 2 to 8 (default 3): about 1/η of the trials go on from each rung." };
    readonly Option<string[]> _set = TrainCommand.SetOption();
    readonly Option<bool> _noWait = new("--no-wait") { Description = "Publish the search and return." };
    readonly Option<int> _timeout = CliOptions.Timeout(7_200);
    readonly Option<bool> _json = CliOptions.Json(
        "Print JSON lines: {\"event\", \"message\"} for training.requested, each event that follows, search.progress as trials end and search.trials at the end.");

    public Command Build()
    {
        var search = new Command("search",
            "Runs a hyperparameter search for a series (training.requested with search): trials fanned out to every Training worker, the best on " +
            "validation gated by the Registry; follows it with a progress line and a table of the trials.")
        {
            _exchange, _symbol, _interval, _from, _to, _space, _strategy, _trials, _seed, _grace, _eta, _set, _noWait, _timeout, _json,
        };
        search.SetAction((parse, ct) => cli.Guard(() => SearchAsync(parse, ct)));
        return search;
    }

    static Option<string[]> SpaceOption()
    {
        var space = new Option<string[]>("--space")
        {
            Description = "A hyperparameter to search (repeatable): name=v1,v2,… (values), name=min:max (interval) or name=log:min:max " +
                "(log-uniform interval), e.g. --space hiddenSize=32,64,128 --space learningRate=log:0.0001:0.01.",
            Required = true, AllowMultipleArgumentsPerToken = false,
        };
        space.Validators.Add(r =>
        {
            foreach (var text in r.GetValue(space) ?? [])
            {
                if (ParseRange(text, out _, out _) is { } problem)
                    r.AddError(problem);
            }
        });
        return space;
    }

    /// <summary>One <c>--space</c> value as a name and range; the problem when it is not one.</summary>
    internal static string? ParseRange(string text, out string name, out SearchRange range)
    {
        range = new SearchRange();
        var parts = text.Split('=', 2);
        name = parts[0].Trim();
        if (parts.Length != 2 || name.Length == 0 || parts[1].Length == 0)
            return $"--space '{text}' is not name=values or name=min:max.";
        var value = parts[1].Trim();
        static bool Number(string s, out double d) => double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out d) && double.IsFinite(d);
        var log = value.StartsWith("log:", StringComparison.Ordinal);
        if (log)
            value = value[4..];
        if (value.Split(':') is [var lo, var hi])
        {
            if (!Number(lo, out var min) || !Number(hi, out var max))
                return $"--space '{text}': min and max must be numbers.";
            range = new SearchRange { Min = min, Max = max, Log = log ? true : null };
            return null;
        }

        if (log)
            return $"--space '{text}': log: takes an interval, log:min:max.";
        var values = new List<double>();
        foreach (var item in value.Split(','))
        {
            if (!Number(item.Trim(), out var v))
                return $"--space '{text}': '{item}' is not a number.";
            values.Add(v);
        }

        range = new SearchRange { Values = values };
        return null;
    }

    async Task<int> SearchAsync(ParseResult parse, CancellationToken ct)
    {
        var space = new Dictionary<string, SearchRange>(StringComparer.Ordinal);
        foreach (var text in parse.GetValue(_space) ?? [])
        {
            ParseRange(text, out var name, out var range);
            if (!space.TryAdd(name, range))
                throw new CliException($"--space names {name} twice", ExitCodes.Usage);
        }

        var grace = parse.GetValue(_grace);
        var eta = parse.GetValue(_eta);
        if (grace is null && eta is not null)
            throw new CliException("--eta needs --grace (early stopping starts after the grace epochs)", ExitCodes.Usage);
        var hyperparameters = (parse.GetValue(_set) ?? []).Select(p => p.Split('=', 2))
            .ToDictionary(p => p[0], p => TrainCommand.ParseValue(p[1]), StringComparer.Ordinal);
        var request = new TrainingRequested
        {
            RequestId = Guid.NewGuid(), Exchange = parse.GetValue(_exchange)!, Symbol = parse.GetValue(_symbol)!, Interval = parse.GetValue(_interval)!,
            From = parse.GetValue(_from), To = parse.GetValue(_to), Hyperparameters = hyperparameters.Count > 0 ? hyperparameters : null, Reason = "search",
            Search = new SearchRequest
            {
                Space = space, Strategy = parse.GetValue(_strategy), Trials = parse.GetValue(_trials), Seed = parse.GetValue(_seed),
                EarlyStopping = grace is { } g ? new EarlyStoppingRequest { GraceEpochs = g, ReductionFactor = eta } : null,
            },
        };

        var json = parse.GetValue(_json);
        await using var broker = await cli.ConnectBrokerAsync(ct);
        ChannelReader<BrokerMessage>? events = null;
        if (!parse.GetValue(_noWait))
        {
            events = await broker.ListenAsync([Exchanges.TrainingStarted, Exchanges.TrainingCompleted, Exchanges.TrainingFailed,
                Exchanges.ModelDeployed, Exchanges.ModelRejected], ct);
        }

        await broker.PublishAsync(Exchanges.TrainingRequested, request, ct);
        if (json)
            cli.WriteJsonLine(new TrainEventJson(Exchanges.TrainingRequested, JsonSerializer.SerializeToElement(request, ContractJson.Options)));
        else
            cli.Console.MarkupLine($"search [bold]{request.RequestId}[/] for {Markup.Escape($"{request.Exchange}:{request.Symbol}:{request.Interval}")}: " +
                $"{request.Search.Trials} trials ({Markup.Escape(request.Search.Strategy ?? "random")}) over {Markup.Escape(string.Join(", ", space.Keys))}");
        if (events is null)
            return ExitCodes.Ok;

        RedisStores? redis = null;
        if (cli.Settings.RedisUrl is not null)
            redis = await cli.ConnectRedisAsync(ct);
        else if (!json)
            cli.Console.MarkupLine("[grey]REDIS_URL is not set: no progress line or table of trials, only the fleet's events[/]");
        await using (redis)
            return await FollowAsync(events, request, redis, parse.GetValue(_timeout), json, ct);
    }

    async Task<int> FollowAsync(ChannelReader<BrokerMessage> events, TrainingRequested request, RedisStores? redis, int timeoutSeconds, bool json,
        CancellationToken ct)
    {
        var deadline = DateTimeOffset.UtcNow.AddSeconds(timeoutSeconds);
        var requestId = request.RequestId.ToString();
        string? runId = null;
        var ended = -1;
        while (true)
        {
            if (DateTimeOffset.UtcNow >= deadline)
                throw new CliException($"the search did not {(runId is null ? "end" : "get the Registry's decision")} within {timeoutSeconds} s " +
                    "(neuraltrade queues shows whether Training and Registry consume)");
            var message = await NeuralTradeCli.WaitForAsync(events, _ => true, 1, ct);
            if (message?.Json is { } j && (j.TryGetProperty("requestId", out var r) && r.GetString() == requestId
                    ? message.Exchange is Exchanges.TrainingStarted or Exchanges.TrainingFailed or Exchanges.TrainingCompleted
                    : runId is not null && j.TryGetProperty("runId", out var run) && run.GetString() == runId
                      && message.Exchange is Exchanges.ModelDeployed or Exchanges.ModelRejected))
            {
                if (message.Exchange is Exchanges.TrainingCompleted or Exchanges.TrainingFailed && redis is not null)
                    ended = await ProgressAsync(redis, request, ended, json, ct);
                if (json)
                    cli.WriteJsonLine(new TrainEventJson(message.Exchange, j));
                switch (message.Exchange)
                {
                    case Exchanges.TrainingStarted when !json:
                        cli.Console.MarkupLine($"training.started: the search's parent run {Markup.Escape(j.GetProperty("runId").GetString()!)}");
                        break;
                    case Exchanges.TrainingFailed:
                        if (redis is not null)
                            await TableAsync(redis, request, null, json, ct);
                        if (!json)
                            cli.Console.MarkupLine($"[red]training.failed[/]: {Markup.Escape(j.GetProperty("error").GetString() ?? "")}");
                        return ExitCodes.Failed;
                    case Exchanges.TrainingCompleted:
                        runId = j.GetProperty("runId").GetString();
                        if (redis is not null)
                            await TableAsync(redis, request, runId, json, ct);
                        if (!json)
                        {
                            var f1 = j.GetProperty("metrics").TryGetProperty("validation_macro_f1", out var v) ? $" (validation macro-F1 {v.GetDouble():0.000})" : "";
                            cli.Console.MarkupLine($"training.completed: the best trial's run {Markup.Escape(runId!)} is the candidate{f1}; waiting for the Registry");
                        }

                        break;
                    case Exchanges.ModelDeployed:
                        if (!json)
                            cli.Console.MarkupLine($"[green]model.deployed[/] {Markup.Escape(j.GetProperty("modelName").GetString()!)} v{j.GetProperty("version").GetInt32()}");
                        return ExitCodes.Ok;
                    case Exchanges.ModelRejected:
                        if (!json)
                            cli.Console.MarkupLine($"[yellow]model.rejected[/]: {Markup.Escape(j.GetProperty("reason").GetString()!)}");
                        return ExitCodes.Ok;
                }
            }

            if (redis is not null && runId is null)
                ended = await ProgressAsync(redis, request, ended, json, ct);
        }
    }

    /// <summary>The trials recorded so far, as the CLI prints them.</summary>
    static async Task<List<TrialJson>> TrialsAsync(RedisStores redis, Guid searchId, CancellationToken ct) =>
        [.. (await redis.Searches.GetTrialsAsync(searchId, ct)).OrderBy(t => t.Key).Select(t => TrialJson.From(t.Value))];

    /// <summary>Prints a progress line when more trials have ended than <paramref name="ended"/>; returns how many have.</summary>
    async Task<int> ProgressAsync(RedisStores redis, TrainingRequested request, int ended, bool json, CancellationToken ct)
    {
        var trials = await TrialsAsync(redis, request.RequestId, ct);
        if (trials.Count <= ended)
            return ended;
        var total = request.Search!.Trials;
        if (request.Search.Strategy == "grid" && await redis.Searches.GetStateAsync(request.RequestId, ct) is { } state)
            total = JsonDocument.Parse(state).RootElement.GetProperty("trials").GetArrayLength();
        var progress = new SearchProgressJson(trials.Count, total, trials.Count(t => t.Status == "completed"), trials.Count(t => t.Status == "stopped"),
            trials.Count(t => t.Status == "failed"), trials.Where(t => t.ValidationMacroF1 is not null).MaxBy(t => t.ValidationMacroF1)?.Trial,
            trials.Max(t => t.ValidationMacroF1));
        if (json)
        {
            cli.WriteJsonLine(new TrainEventJson("search.progress", JsonSerializer.SerializeToElement(progress, ContractJson.Options)));
            return trials.Count;
        }

        const int width = 24;
        var filled = (int)Math.Round(width * (double)progress.Ended / Math.Max(1, progress.Trials));
        cli.Console.MarkupLine($"[[{new string('#', filled)}{new string('-', width - filled)}]] {progress.Ended}/{progress.Trials} trials ended: " +
            $"{progress.Completed} completed, {progress.Stopped} stopped early, {progress.Failed} failed" +
            (progress.BestTrial is { } best ? $"; best validation macro-F1 so far {progress.BestValidationMacroF1:0.000} (trial {best})" : ""));
        return trials.Count;
    }

    async Task TableAsync(RedisStores redis, TrainingRequested request, string? candidateRunId, bool json, CancellationToken ct)
    {
        var trials = await TrialsAsync(redis, request.RequestId, ct);
        if (json)
        {
            cli.WriteJsonLine(new TrainEventJson("search.trials", JsonSerializer.SerializeToElement(trials, ContractJson.Options)));
            return;
        }

        var table = new Table().AddColumns("trial", "values", "status", "epochs", "validation macro-F1", "seconds", "run");
        foreach (var t in trials)
        {
            var best = candidateRunId is not null && t.RunId == candidateRunId;
            table.AddRow((best ? "*" : "") + t.Trial.ToString(CultureInfo.InvariantCulture),
                Markup.Escape(string.Join(' ', t.Values.Select(v => string.Create(CultureInfo.InvariantCulture, $"{v.Key}={v.Value:G6}")))),
                Markup.Escape(t.Status + (t.Attempts > 1 ? $" (attempt {t.Attempts})" : "")), t.Epochs.ToString(CultureInfo.InvariantCulture),
                t.ValidationMacroF1 is { } f1 ? f1.ToString("0.000", CultureInfo.InvariantCulture) : "",
                t.DurationSeconds.ToString("0.0", CultureInfo.InvariantCulture), Markup.Escape(t.RunId ?? ""));
        }

        cli.Console.Write(table);
        if (candidateRunId is not null)
            cli.Console.MarkupLine("* the candidate: the best on the validation split (the test split is the Registry's)");
    }
}

/// <summary>One line of <c>search --json</c>'s <c>search.progress</c>.</summary>
internal sealed record SearchProgressJson(int Ended, int Trials, int Completed, int Stopped, int Failed, int? BestTrial, double? BestValidationMacroF1);

/// <summary>A trial in <c>search --json</c>'s <c>search.trials</c>, as the search's state records it.</summary>
internal sealed record TrialJson(int Trial, string Status, IReadOnlyDictionary<string, double> Values, int Epochs, double? ValidationMacroF1,
    double DurationSeconds, int Attempts, string? RunId, string? Error)
{
    public static TrialJson From(string json)
    {
        var o = JsonDocument.Parse(json).RootElement;
        static double? Number(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : null;
        static string? Text(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
        return new TrialJson(o.GetProperty("trial").GetInt32(), o.GetProperty("status").GetString()!,
            o.GetProperty("values").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetDouble()), o.GetProperty("epochs").GetInt32(),
            Number(o, "validationMacroF1"), Number(o, "durationSeconds") ?? 0, o.GetProperty("attempts").GetInt32(), Text(o, "runId"), Text(o, "error"));
    }
}
