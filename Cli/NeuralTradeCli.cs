using System.CommandLine;
using System.Text.Json;
using System.Threading.Channels;
using NeuralTrade.Events.Cli.Commands;
using NeuralTrade.Events.Contracts;
using NeuralTrade.Events.Stores;
using Spectre.Console;
using StackExchange.Redis;

namespace NeuralTrade.Events.Cli;

/// <summary>
/// <c>neuraltrade</c>: what the people who run the fleet do by hand, over the public contract (raw JSON on the
/// public exchanges), the RabbitMQ management API and the registry in Redis. This root builds the command tree and
/// holds what the commands (Commands/) share: the settings, the console, the connections to the services
/// and the turning of their failures into one line and an exit code.
/// </summary>
internal sealed class NeuralTradeCli(CliSettings settings, IAnsiConsole console, Func<string, string?>? environment = null, IAnsiConsole? error = null,
    IFleetServices? services = null)
{
    /// <summary>JSON as an operator reads it: the contract's names, indented.</summary>
    public static readonly JsonSerializerOptions Indented = new(ContractJson.Options) { WriteIndented = true };

    readonly IFleetServices _services = services ?? new LiveFleetServices(settings);

    public CliSettings Settings => settings;

    /// <summary>Standard output: what a command prints (its data, and its JSON under --json).</summary>
    public IAnsiConsole Console => console;

    /// <summary>Standard error: errors and warnings, so that standard output holds only the data.</summary>
    public IAnsiConsole Error { get; } = error ?? console;

    /// <summary>Where <c>broker definitions</c> reads passwords from.</summary>
    public Func<string, string?> Environment { get; } = environment ?? System.Environment.GetEnvironmentVariable;

    public static async Task<int> RunAsync(string[] args, CliSettings settings, IAnsiConsole console, CancellationToken cancellationToken = default,
        Func<string, string?>? environment = null, IAnsiConsole? error = null, IFleetServices? services = null)
    {
        error ??= console;
        var root = new NeuralTradeCli(settings, console, environment, error, services).Build();
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var e in parse.Errors)
                error.MarkupLine($"[red]error:[/] {Markup.Escape(e.Message)}");
            error.MarkupLine($"see [bold]neuraltrade {Markup.Escape(string.Join(' ', parse.CommandResult.Command.Name == root.Name ? [] : CommandPath(parse)))} --help[/]");
            return ExitCodes.Usage;
        }

        var output = new StringWriter();
        var code = await parse.InvokeAsync(new InvocationConfiguration { Output = output, Error = output, EnableDefaultExceptionHandler = false }, cancellationToken);
        if (output.GetStringBuilder().Length > 0)
            console.Write(new Text(output.ToString()));
        return code;
    }

    /// <summary>
    /// Writes one JSON document to standard output, with the contract's settings, indented. Straight to the writer:
    /// the console would wrap long lines at its width.
    /// </summary>
    public void WriteJson<T>(T value) => console.Profile.Out.Writer.WriteLine(JsonSerializer.Serialize(value, Indented));

    /// <summary>Writes one JSON value on one line (JSON lines, for a command that prints a stream of events).</summary>
    public void WriteJsonLine<T>(T value)
    {
        console.Profile.Out.Writer.WriteLine(JsonSerializer.Serialize(value, ContractJson.Options));
        console.Profile.Out.Writer.Flush();
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
        root.Subcommands.Add(new CandlesCommand(this).Build());
        root.Subcommands.Add(new PredictCommand(this).Build());
        root.Subcommands.Add(new TrainCommand(this).Build());
        root.Subcommands.Add(new SearchCommand(this).Build());
        root.Subcommands.Add(new EvaluateCommand(this).Build());
        root.Subcommands.Add(new ModelsCommand(this).Build());
        root.Subcommands.Add(new DeadLetterCommand(this).Build());
        root.Subcommands.Add(new QueuesCommand(this).Build());
        root.Subcommands.Add(new BrokerCommand(this).Build());
        root.Subcommands.Add(new RedisCommand(this).Build());
        return root;
    }

    /// <summary>Runs an action; an error the operator can act on becomes one line and its exit code.</summary>
    public async Task<int> Guard(Func<Task<int>> action)
    {
        try
        {
            return await action();
        }
        catch (CliException e)
        {
            Error.MarkupLine($"[red]error:[/] {Markup.Escape(e.Message)}");
            return e.ExitCode;
        }
        catch (RedisConnectionException e)
        {
            Error.MarkupLine($"[red]error:[/] cannot reach Redis at {Markup.Escape(RedisOptions.Redact(settings.RedisUrl))} ({Markup.Escape(e.Message)}); set REDIS_URL");
            return ExitCodes.Unreachable;
        }
        catch (RabbitMQ.Client.Exceptions.OperationInterruptedException e)
        {
            Error.MarkupLine($"[red]error:[/] RabbitMQ refused: {Markup.Escape(e.ShutdownReason?.ReplyText ?? e.Message)}");
            return ExitCodes.Failed;
        }
    }

    public Task<IBrokerSession> ConnectBrokerAsync(CancellationToken ct) => _services.ConnectBrokerAsync(ct);

    public Task<RedisStores> ConnectRedisAsync(CancellationToken ct) => _services.ConnectRedisAsync(ct);

    /// <summary>
    /// The vhost's queues from the management API, with ready messages and consumers as the broker counts them this
    /// instant (the API's own figures are sampled every few seconds); unacked and rates are the API's.
    /// </summary>
    public async Task<List<QueueInfo>> QueuesNowAsync(CancellationToken ct)
    {
        var queues = await _services.ManagementQueuesAsync(ct);
        await using var broker = await ConnectBrokerAsync(ct);
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

    /// <summary>The first message that <paramref name="match"/> accepts within <paramref name="seconds"/>; null when none came in time.</summary>
    public static async Task<BrokerMessage?> WaitForAsync(ChannelReader<BrokerMessage> reader, Func<BrokerMessage, bool> match, int seconds, CancellationToken ct)
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
