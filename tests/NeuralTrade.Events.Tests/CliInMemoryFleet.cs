extern alias CliTool;

using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using CliTool::NeuralTrade.Events.Cli;
using NeuralTrade.Events.Contracts;
using NeuralTrade.Events.Stores;
using RabbitMQ.Client;
using Spectre.Console;

namespace NeuralTrade.Events.Tests;

/// <summary>
/// The broker, its management API and Redis in memory, for running the CLI's commands whole without a service: queues
/// of messages, exchanges with listeners, a responder that plays the fleet's workers, and the in-memory stores.
/// </summary>
internal sealed class CliInMemoryFleet : IFleetServices
{
    readonly Lock _gate = new();
    readonly List<(HashSet<string> Exchanges, ChannelWriter<BrokerMessage> Writer)> _listeners = [];

    /// <summary>Queues by name, oldest message first.</summary>
    public Dictionary<string, List<BrokerMessage>> Queues { get; } = new(StringComparer.Ordinal);

    /// <summary>Consumers per queue, as a passive declare counts them.</summary>
    public Dictionary<string, uint> Consumers { get; } = new(StringComparer.Ordinal);

    /// <summary>What the management API reports (its figures lag: ready and consumers are replaced by the broker's count).</summary>
    public List<QueueInfo> Management { get; } = [];

    /// <summary>Every message published to an exchange, with its body.</summary>
    public List<(string Exchange, JsonElement Body)> Published { get; } = [];

    /// <summary>The fleet: what it publishes in answer to a message published to an exchange.</summary>
    public Func<string, JsonElement, IEnumerable<(string Exchange, JsonNode Body)>>? Respond { get; set; }

    public InMemoryModelRegistryStore Registry { get; } = new();

    public InMemoryCandleStore Candles { get; } = new();

    public InMemorySearchStore Searches { get; } = new();

    /// <summary>Set to make the broker unreachable, as <see cref="BrokerSession"/> reports it.</summary>
    public bool BrokerDown { get; set; }

    public Task<IBrokerSession> ConnectBrokerAsync(CancellationToken cancellationToken) =>
        BrokerDown
            ? throw new CliException("cannot reach RabbitMQ at amqp://guest:***@127.0.0.1:1/ (Connection refused); set RABBITMQ_URL", ExitCodes.Unreachable)
            : Task.FromResult<IBrokerSession>(new Session(this));

    public Task<IReadOnlyList<QueueInfo>> ManagementQueuesAsync(CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<QueueInfo>>(Management.OrderBy(q => q.Name, StringComparer.Ordinal).ToList());

    public Task<RedisStores> ConnectRedisAsync(CancellationToken cancellationToken) => Task.FromResult(new RedisStores(Registry, Candles, searches: Searches));

    /// <summary>A message as it lies in a queue: a JSON or text body, a message id, headers as AMQP carries them (bytes).</summary>
    public static BrokerMessage Message(string body, string? messageId = null, IReadOnlyDictionary<string, string>? headers = null) =>
        new(0, "", "", Encoding.UTF8.GetBytes(body), new BasicProperties
        {
            MessageId = messageId, ContentType = "application/json",
            Headers = headers?.ToDictionary(h => h.Key, h => (object?)Encoding.UTF8.GetBytes(h.Value)),
        });

    /// <summary>A golden contract body (tests/…/Golden) with members replaced: what a worker would publish.</summary>
    public static JsonNode Golden(string name, params (string Member, JsonNode? Value)[] members)
    {
        var body = JsonNode.Parse(File.ReadAllText(Path.Combine(TestContext.CurrentContext.TestDirectory, "Golden", $"{name}.json")))!;
        foreach (var (member, value) in members)
            body[member] = value;
        return body;
    }

    void Deliver(string exchange, JsonNode body)
    {
        var message = new BrokerMessage(0, exchange, "", Encoding.UTF8.GetBytes(body.ToJsonString()), new BasicProperties { ContentType = "application/json" });
        lock (_gate)
        {
            foreach (var (exchanges, writer) in _listeners.Where(l => l.Exchanges.Contains(exchange)))
                writer.TryWrite(message);
        }
    }

    sealed class Session(CliInMemoryFleet fleet) : IBrokerSession
    {
        public Task PublishAsync<T>(string exchange, T message, CancellationToken cancellationToken) where T : IntegrationEvent
        {
            var body = JsonSerializer.SerializeToElement(message, ContractJson.Options);
            lock (fleet._gate)
                fleet.Published.Add((exchange, body));
            foreach (var (to, answer) in fleet.Respond?.Invoke(exchange, body) ?? [])
                fleet.Deliver(to, answer);
            return Task.CompletedTask;
        }

        public Task<ChannelReader<BrokerMessage>> ListenAsync(IEnumerable<string> exchanges, CancellationToken cancellationToken)
        {
            var channel = Channel.CreateUnbounded<BrokerMessage>();
            lock (fleet._gate)
                fleet._listeners.Add((exchanges.ToHashSet(StringComparer.Ordinal), channel.Writer));
            return Task.FromResult(channel.Reader);
        }

        public Task<IQueueReader> OpenQueueAsync(string queue, CancellationToken cancellationToken) =>
            fleet.Queues.TryGetValue(queue, out var messages)
                ? Task.FromResult<IQueueReader>(new Reader(fleet, queue, messages))
                : throw new CliException($"there is no queue '{queue}' on localhost (vhost of RABBITMQ_URL)");

        public Task<(uint Ready, uint Consumers)?> CountAsync(string queue, CancellationToken cancellationToken) =>
            Task.FromResult(fleet.Queues.TryGetValue(queue, out var messages)
                ? ((uint)messages.Count, fleet.Consumers.GetValueOrDefault(queue))
                : ((uint, uint)?)null);

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    /// <summary>basic.get without ack: a message leaves its queue only when acked (or purged).</summary>
    sealed class Reader(CliInMemoryFleet fleet, string queue, List<BrokerMessage> messages) : IQueueReader
    {
        readonly List<BrokerMessage> _snapshot = [.. messages];
        int _next;

        public string Queue => queue;

        public uint MessageCount => (uint)_snapshot.Count;

        public Task<BrokerMessage?> NextAsync(CancellationToken cancellationToken) =>
            Task.FromResult(_next < _snapshot.Count ? _snapshot[_next++] : null);

        public Task AckAsync(BrokerMessage message, CancellationToken cancellationToken)
        {
            messages.Remove(message);
            return Task.CompletedTask;
        }

        public Task SendCopyAsync(BrokerMessage message, string targetQueue, CancellationToken cancellationToken)
        {
            if (!fleet.Queues.TryGetValue(targetQueue, out var target))
                throw new CliException($"there is no exchange '{targetQueue}'. Nothing was removed.");
            target.Add(message with { Properties = new BasicProperties { MessageId = message.Properties.MessageId, ContentType = message.Properties.ContentType } });
            return Task.CompletedTask;
        }

        public Task PurgeAsync(CancellationToken cancellationToken)
        {
            messages.Clear();
            return Task.CompletedTask;
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}

/// <summary>Runs <c>neuraltrade ARGS</c> in process against a <see cref="CliInMemoryFleet"/>, keeping standard output and error apart.</summary>
internal static class CliInProcess
{
    public static readonly CliSettings Settings = new("amqp://operator:s3cret-pass@localhost:5672/", null, "redis://127.0.0.1:6379", "nt");

    public static async Task<(int Code, string Out, string Error)> RunAsync(CliInMemoryFleet fleet, params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = await NeuralTradeCli.RunAsync(args, Settings, Console(output), error: Console(error), services: fleet,
            environment: _ => null);
        await TestContext.Out.WriteLineAsync($"$ neuraltrade {string.Join(' ', args)}  → {code}\n{output}\nstderr: {error}");
        return (code, output.ToString(), error.ToString());
    }

    static IAnsiConsole Console(TextWriter writer)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors, Interactive = InteractionSupport.No, Out = new AnsiConsoleOutput(writer),
        });
        console.Profile.Width = 200;
        return console;
    }
}
