using System.Text.Json;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using NeuralTrade.Events.Contracts;
using NeuralTrade.Events.Messaging;
using NeuralTrade.Events.Workers.Inference;
using NeuralTrade.Events.Workers.Ingest;
using NeuralTrade.Events.Workers.Monitor;
using NeuralTrade.Events.Workers.Registry;
using NeuralTrade.Events.Workers.Training;

namespace NeuralTrade.Events.Tests;

/// <summary>
/// What the fleet is on RabbitMQ, read from the code and the broker definitions rather than written down again: each
/// worker's consumers, their queues and the messages they take (the workers' own registration extensions, as
/// Workers.*/Program.cs call them, and their consumer definitions), the contract types each worker publishes, and the
/// broker's exchanges, queues, bindings, users, permissions and policies (deploy/rabbitmq/definitions.template.json).
/// <see cref="AsyncApiGenerator"/> writes docs/asyncapi.yaml from it.
/// </summary>
public sealed record FleetTopology(IReadOnlyList<FleetTopology.Worker> Workers, FleetTopology.BrokerDefinitions Broker)
{
    /// <summary>The placeholder the generator gives <c>Inference:InstanceId</c>: a queue whose name holds it is one per instance.</summary>
    public const string InstanceIdSentinel = "instance-id-placeholder";

    public sealed record Worker(string Name, IReadOnlyList<Type> Publishes, IReadOnlyList<Consumer> Consumers);

    /// <summary>
    /// A consumer on its queue. <paramref name="PerInstance"/>: every instance of the worker has a queue of its own, and
    /// <paramref name="Queue"/> holds the parameter <c>{instanceId}</c>; <paramref name="SampleQueue"/> is the name one
    /// instance's queue has (to match against the broker's permission and policy patterns).
    /// </summary>
    public sealed record Consumer(Type ConsumerType, string Queue, string SampleQueue, IReadOnlyList<Type> Messages, bool PerInstance);

    public sealed record Exchange(string Name, string Type, bool Durable, bool AutoDelete, bool Internal, string Vhost);

    public sealed record Queue(string Name, bool Durable, bool AutoDelete, string Vhost, JsonElement Arguments);

    public sealed record Binding(string Source, string Destination, string DestinationType, string RoutingKey, JsonElement Arguments);

    public sealed record User(string Name, IReadOnlyList<string> Tags);

    public sealed record Permission(string User, string Vhost, string Configure, string Write, string Read);

    public sealed record Policy(string Name, string Pattern, string ApplyTo, int Priority, JsonElement Definition);

    public sealed record BrokerDefinitions(
        IReadOnlyList<User> Users,
        IReadOnlyList<Permission> Permissions,
        IReadOnlyList<Exchange> Exchanges,
        IReadOnlyList<Queue> Queues,
        IReadOnlyList<Binding> Bindings,
        IReadOnlyList<Policy> Policies)
    {
        public static BrokerDefinitions Parse(string json)
        {
            using var document = JsonDocument.Parse(json);
            var root = document.RootElement;
            static string S(JsonElement e, string name) => e.GetProperty(name).GetString()!;
            static bool B(JsonElement e, string name) => e.GetProperty(name).GetBoolean();
            IEnumerable<JsonElement> All(string name) => root.GetProperty(name).EnumerateArray();
            return new BrokerDefinitions(
                All("users").Select(u => new User(S(u, "name"), u.GetProperty("tags").EnumerateArray().Select(t => t.GetString()!).ToList())).ToList(),
                All("permissions").Select(p => new Permission(S(p, "user"), S(p, "vhost"), S(p, "configure"), S(p, "write"), S(p, "read"))).ToList(),
                All("exchanges").Select(e => new Exchange(S(e, "name"), S(e, "type"), B(e, "durable"), B(e, "auto_delete"), B(e, "internal"), S(e, "vhost"))).ToList(),
                All("queues").Select(q => new Queue(S(q, "name"), B(q, "durable"), B(q, "auto_delete"), S(q, "vhost"), q.GetProperty("arguments").Clone())).ToList(),
                All("bindings").Select(b => new Binding(S(b, "source"), S(b, "destination"), S(b, "destination_type"), S(b, "routing_key"),
                    b.GetProperty("arguments").Clone())).ToList(),
                All("policies").Select(p => new Policy(S(p, "name"), S(p, "pattern"), S(p, "apply-to"), p.GetProperty("priority").GetInt32(),
                    p.GetProperty("definition").Clone())).ToList());
        }

        public Exchange? ExchangeNamed(string name) => Exchanges.SingleOrDefault(e => e.Name == name);

        public Queue? QueueNamed(string name) => Queues.SingleOrDefault(q => q.Name == name);

        public Permission? PermissionOf(string user) => Permissions.SingleOrDefault(p => p.User == user);
    }

    /// <summary>The fleet as this build has it: the five workers' registrations and the shipped broker definitions.</summary>
    public static FleetTopology Load(string definitionsPath) =>
        new(RegisteredWorkers(), BrokerDefinitions.Parse(File.ReadAllText(definitionsPath)));

    /// <summary>
    /// Registers the five workers as the one-process fleet does (their own <c>Add…Worker()</c>), then reads what each
    /// one added to the bus: its name (its broker user), the types it publishes, and its consumers with the queue their
    /// definition names. Nothing is started.
    /// </summary>
    static List<Worker> RegisteredWorkers()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = Environments.Production, DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Inference:InstanceId"] = InstanceIdSentinel });
        builder.AddIngestWorker();
        builder.AddTrainingWorker();
        builder.AddRegistryWorker();
        builder.AddInferenceWorker();
        builder.AddMonitorWorker();
        var contributors = builder.Services.Where(d => d.ServiceType == typeof(BusContributor)).Select(d => (BusContributor)d.ImplementationInstance!).ToList();
        using var services = builder.Services.BuildServiceProvider();
        var formatter = KebabCaseEndpointNameFormatter.Instance;
        return contributors.Select(c =>
        {
            // A worker's internal queues (Training's search trials on training.trial) carry no public message: the public
            // contract's document leaves them out, and the broker definitions declare them (BrokerDefinitionsTests).
            var consumers = RegisteredConsumers(c).Where(r => !IsInternal(r.Consumer)).Select(r =>
            {
                var definition = (IConsumerDefinition)ActivatorUtilities.CreateInstance(services, r.Definition);
                var queue = definition.GetEndpointName(formatter);
                var messages = r.Consumer.GetInterfaces().Where(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IConsumer<>))
                    .Select(i => ContractOf(i.GetGenericArguments()[0])).ToList();
                var perInstance = queue.Contains(InstanceIdSentinel, StringComparison.Ordinal);
                return new Consumer(r.Consumer, queue.Replace(InstanceIdSentinel, "{instanceId}", StringComparison.Ordinal), queue, messages, perInstance);
            }).ToList();
            return new Worker(c.Worker, [.. c.Publishes.Where(t => Exchanges.NameOf(t) is not { } e || !InternalExchanges.Contains(e))], consumers);
        }).ToList();
    }

    /// <summary>The exchanges internal to one worker, not part of the public contract.</summary>
    public static readonly IReadOnlySet<string> InternalExchanges = new HashSet<string>(StringComparer.Ordinal)
    {
        NeuralTrade.Events.Workers.Training.Search.TrainingTrialRequested.ExchangeName,
    };

    static bool IsInternal(Type consumer) =>
        consumer.GetInterfaces().Any(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IConsumer<>)
            && Exchanges.NameOf(i.GetGenericArguments()[0]) is { } exchange && InternalExchanges.Contains(exchange));

    /// <summary>
    /// The contract type of a consumed message: itself, or the contract whose exchange a worker's own reading of it names
    /// (Ingest reads <c>market.candles</c> as <c>IncomingCandles</c>, member by member).
    /// </summary>
    static Type ContractOf(Type consumed)
    {
        var exchange = Exchanges.NameOf(consumed) ?? throw new InvalidOperationException($"{consumed.Name} is consumed but names no public exchange");
        return Exchanges.ContractTypes.Single(t => Exchanges.NameOf(t) == exchange);
    }

    /// <summary>
    /// The consumer and definition types a worker's bus contribution registers (<c>x.AddConsumer&lt;TConsumer, TDefinition&gt;()</c>),
    /// read from the services MassTransit's own registration adds for it: the definition and <c>IConsumerDefinition&lt;TConsumer&gt;</c>.
    /// </summary>
    static List<(Type Consumer, Type Definition)> RegisteredConsumers(BusContributor contributor)
    {
        var services = new ServiceCollection();
        services.AddMassTransit(x => contributor.Configure(x));
        return services
            .Where(d => d.ServiceType.IsGenericType && d.ServiceType.GetGenericTypeDefinition() == typeof(IConsumerDefinition<>))
            .Select(d => d.ServiceType.GetGenericArguments()[0])
            .Select(consumer => (consumer, services.Select(d => d.ServiceType)
                .Single(t => t.IsClass && typeof(IConsumerDefinition<>).MakeGenericType(consumer).IsAssignableFrom(t))))
            .ToList();
    }
}
