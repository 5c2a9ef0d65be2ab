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
internal sealed class NeuralTradeCli(CliSettings settings, IAnsiConsole console, Func<string, string?>? environment = null)
{
    /// <summary>JSON as an operator reads it: the contract's names, indented.</summary>
    public static readonly JsonSerializerOptions Indented = new(ContractJson.Options) { WriteIndented = true };

    public CliSettings Settings => settings;

    public IAnsiConsole Console => console;

    /// <summary>Where <c>broker definitions</c> reads passwords from.</summary>
    public Func<string, string?> Environment { get; } = environment ?? System.Environment.GetEnvironmentVariable;

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
        root.Subcommands.Add(new CandlesCommand(this).Build());
        root.Subcommands.Add(new PredictCommand(this).Build());
        root.Subcommands.Add(new TrainCommand(this).Build());
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
            console.MarkupLine($"[red]error:[/] {Markup.Escape(e.Message)}");
            return e.ExitCode;
        }
        catch (RedisConnectionException e)
        {
            console.MarkupLine($"[red]error:[/] cannot reach Redis at {Markup.Escape(RedisOptions.Redact(settings.RedisUrl))} ({Markup.Escape(e.Message)}); set REDIS_URL");
            return ExitCodes.Unreachable;
        }
        catch (RabbitMQ.Client.Exceptions.OperationInterruptedException e)
        {
            console.MarkupLine($"[red]error:[/] RabbitMQ refused: {Markup.Escape(e.ShutdownReason?.ReplyText ?? e.Message)}");
            return ExitCodes.Failed;
        }
    }

    public Task<BrokerSession> ConnectBrokerAsync(CancellationToken ct) => BrokerSession.ConnectAsync(settings, ct);

    public async Task<ConnectionMultiplexer> ConnectRedisAsync()
    {
        ConfigurationOptions options;
        try
        {
            options = settings.Redis.ToConfigurationOptions();
        }
        catch (Exception e) when (e is FormatException or IOException or System.Security.Cryptography.CryptographicException)
        {
            throw new CliException($"REDIS_URL / REDIS_CA_FILE: {e.Message}", ExitCodes.Usage);
        }

        options.AbortOnConnectFail = true;
        options.ConnectTimeout = 5_000;
        options.ConnectRetry = 1;
        return await ConnectionMultiplexer.ConnectAsync(options);
    }

    /// <summary>
    /// The vhost's queues from the management API, with ready messages and consumers as the broker counts them this
    /// instant (the API's own figures are sampled every few seconds); unacked and rates are the API's.
    /// </summary>
    public async Task<List<QueueInfo>> QueuesNowAsync(CancellationToken ct)
    {
        using var management = new ManagementApi(settings);
        var queues = await management.QueuesAsync(ct);
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
