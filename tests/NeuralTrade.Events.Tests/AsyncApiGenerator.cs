using System.Globalization;
using System.Reflection;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using NeuralTrade.Events.Contracts;
using NeuralTrade.Events.Messaging;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace NeuralTrade.Events.Tests;

/// <summary>
/// Writes docs/asyncapi.yaml, the AsyncAPI 3.0 description of the fleet on RabbitMQ, from what the code and the broker
/// definitions say (<see cref="FleetTopology"/>), the contract records and their XML docs, the JSON Schemas in
/// docs/schemas (referenced, not copied) and the golden bodies (the messages' examples). It lives with the tests, not in
/// Contracts: it reads the workers' registrations and the deployment's files, and Contracts depends on nothing.
/// <see cref="AsyncApiTests"/> keeps the committed file equal to its output; <c>NEURALTRADE_UPDATE_GOLDEN=1</c> rewrites it.
/// </summary>
public static partial class AsyncApiGenerator
{
    public const string AsyncApiVersion = "3.0.0";

    /// <summary>
    /// The payloads' schema format. docs/schemas declare JSON Schema 2020-12, which @asyncapi/parser does not know; they use
    /// only keywords that mean the same in draft-07 (<see cref="AsyncApiTests"/> checks), so they are valid draft-07
    /// schemas and declared as such, the JSON Schema format every AsyncAPI 3 tool must support.
    /// </summary>
    public const string SchemaFormat = "application/schema+json;version=draft-07";

    const string AmqpBindingVersion = "0.3.0";

    /// <summary>The document for this build's fleet. <paramref name="goldenDirectory"/> holds the golden bodies, <c>&lt;exchange&gt;.json</c>.</summary>
    public static JsonObject Generate(FleetTopology fleet, string goldenDirectory, string rabbitMqConf)
    {
        ArgumentNullException.ThrowIfNull(fleet);
        var docs = XmlDocs.For(typeof(Exchanges).Assembly);
        var broker = fleet.Broker;
        var vhost = broker.Exchanges.Select(e => e.Vhost).Distinct().Single();
        var workers = fleet.Workers.ToDictionary(w => w.Name, StringComparer.Ordinal);
        var administrators = broker.Users.Where(u => u.Tags.Contains("administrator")).Select(u => u.Name).ToHashSet(StringComparer.Ordinal);
        // Users outside the fleet's workers, whose operations are what their permissions allow.
        var clients = broker.Users.Where(u => !workers.ContainsKey(u.Name) && !administrators.Contains(u.Name)).Select(u => u.Name).ToList();

        var channels = new JsonObject();
        var operations = new JsonObject();
        var messages = new JsonObject();

        foreach (var type in Exchanges.ContractTypes)
        {
            var exchange = Exchanges.NameOf(type)!;
            var declared = broker.ExchangeNamed(exchange) ?? throw new InvalidOperationException($"the broker definitions declare no exchange {exchange}");
            messages[type.Name] = Message(type, exchange, docs, goldenDirectory);
            var publishers = fleet.Workers.Where(w => w.Publishes.Contains(type)).Select(w => w.Name)
                .Concat(clients.Where(c => Matches(broker.PermissionOf(c)?.Write, exchange))).ToList();
            var consumers = fleet.Workers.SelectMany(w => w.Consumers.Where(c => c.Messages.Contains(type)).Select(c => $"{w.Name} (queue `{c.Queue}`)"))
                .Concat(clients.Where(c => Matches(broker.PermissionOf(c)?.Read, exchange)).Select(c => $"{c} (queues of its own)")).ToList();
            channels[exchange] = new JsonObject
            {
                ["address"] = exchange,
                ["title"] = exchange,
                ["description"] = $"{docs.Member(typeof(Exchanges), exchange)} A durable {declared.Type} exchange: every queue bound to it receives " +
                    $"every message. Published by {List(publishers)}; consumed by {List(consumers)}." +
                    (Exchanges.MustRoute(type) ? " The fleet must act on it: it is published mandatory, so a message no queue takes is returned to its publisher." : ""),
                ["messages"] = new JsonObject { [type.Name] = Ref("components", "messages", type.Name) },
                ["bindings"] = ExchangeBinding(declared),
            };
        }

        foreach (var (source, bySeries) in Exchanges.BySeries)
        {
            var type = Exchanges.ContractTypes.Single(t => Exchanges.NameOf(t) == source);
            var declared = broker.ExchangeNamed(bySeries) ?? throw new InvalidOperationException($"the broker definitions declare no exchange {bySeries}");
            if (!broker.Bindings.Any(b => b.Source == source && b.Destination == bySeries && b.DestinationType == "exchange"))
                throw new InvalidOperationException($"the broker definitions do not bind {bySeries} to {source}");
            var readers = clients.Where(c => Matches(broker.PermissionOf(c)?.Read, bySeries)).ToList();
            var headers = SeriesHeaderNames();
            channels[bySeries] = new JsonObject
            {
                ["address"] = bySeries,
                ["title"] = bySeries,
                ["description"] = $"{docs.Member(typeof(Exchanges), bySeries)} Nobody publishes to it directly: the broker routes `{source}` here. Bind a queue with the arguments `{{\"x-match\": \"all\", {string.Join(", ", headers.Select(h => $"\"{h}\": …"))}}}`, leaving out a " +
                    $"header to widen the filter; values match the message's headers exactly. Consumed by {List(readers.Select(c => $"{c} (queues of its own)"))}.",
                ["messages"] = new JsonObject { [type.Name] = Ref("components", "messages", type.Name) },
                ["bindings"] = ExchangeBinding(declared),
                ["x-bound-from"] = source,
                ["x-subscriber-binding-arguments"] = new JsonObject([KeyValuePair.Create("x-match", (JsonNode?)"all"),
                    .. SeriesHeadersOf(type, goldenDirectory)!.Select(h => KeyValuePair.Create(h.Key, h.Value?.DeepClone()))]),
            };
            foreach (var reader in readers)
            {
                operations[$"{reader}.receive.{bySeries}"] = Operation("receive", bySeries, [type], reader,
                    $"User {reader} binds a queue of its own (names it may declare: `{broker.PermissionOf(reader)!.Configure}`) to {bySeries} with the " +
                    "headers of the series it wants, and receives only those series.", null);
            }
        }

        foreach (var worker in fleet.Workers)
        {
            foreach (var consumer in worker.Consumers)
            {
                var id = QueueChannelId(consumer.Queue);
                channels[id] = WorkQueueChannel(fleet, worker, consumer);
                channels[QueueChannelId(QueueTopology.ErrorQueue(consumer.Queue))] = DeadLetterChannel(fleet, worker, consumer);
                operations[$"{worker.Name}.receive.{id}"] = Operation("receive", id, consumer.Messages, worker.Name,
                    $"The {worker.Name} worker ({consumer.ConsumerType.Name}) takes {List(consumer.Messages.Select(Exchanges.NameOf))} from its queue " +
                    $"`{consumer.Queue}` and acknowledges each message after its work is durable.",
                    new JsonObject { ["ack"] = true });
            }

            foreach (var type in worker.Publishes)
                operations[$"{worker.Name}.send.{Exchanges.NameOf(type)}"] = Send(worker.Name, type, $"The {worker.Name} worker publishes {Exchanges.NameOf(type)}.");
        }

        foreach (var client in clients)
        {
            var permission = broker.PermissionOf(client) ?? throw new InvalidOperationException($"user {client} has no permissions");
            foreach (var type in Exchanges.ContractTypes)
            {
                var exchange = Exchanges.NameOf(type)!;
                if (Matches(permission.Write, exchange))
                    operations[$"{client}.send.{exchange}"] = Send(client, type, $"User {client} publishes {exchange}.");
                if (Matches(permission.Read, exchange))
                {
                    operations[$"{client}.receive.{exchange}"] = Operation("receive", exchange, [type], client,
                        $"User {client} binds a queue of its own (names it may declare: `{permission.Configure}`) to {exchange} and consumes it.", null);
                }
            }

            foreach (var worker in fleet.Workers)
            {
                foreach (var consumer in worker.Consumers)
                {
                    var error = QueueTopology.ErrorQueue(consumer.Queue);
                    if (Matches(permission.Read, QueueTopology.ErrorQueue(consumer.SampleQueue)))
                    {
                        operations[$"{client}.receive.{QueueChannelId(error)}"] = Operation("receive", QueueChannelId(error), consumer.Messages, client,
                            $"User {client} reads the dead letters of `{consumer.Queue}`.", null);
                    }
                }
            }
        }

        return new JsonObject
        {
            ["asyncapi"] = AsyncApiVersion,
            ["info"] = new JsonObject
            {
                ["title"] = "NeuralTrade.Events",
                ["version"] = ContractVersion().ToString(CultureInfo.InvariantCulture),
                ["description"] = Description(typeof(Exchanges).Assembly),
            },
            ["defaultContentType"] = "application/json",
            ["servers"] = Servers(broker, vhost, rabbitMqConf),
            ["channels"] = channels,
            ["operations"] = operations,
            ["components"] = new JsonObject
            {
                ["messages"] = messages,
                ["securitySchemes"] = SecuritySchemes(fleet, administrators),
            },
        };
    }

    static JsonObject ExchangeBinding(FleetTopology.Exchange declared) => new()
    {
        ["amqp"] = new JsonObject
        {
            ["is"] = "routingKey",
            ["exchange"] = new JsonObject
            {
                ["name"] = declared.Name,
                ["type"] = declared.Type,
                ["durable"] = declared.Durable,
                ["autoDelete"] = declared.AutoDelete,
                ["vhost"] = declared.Vhost,
            },
            ["bindingVersion"] = AmqpBindingVersion,
        },
    };

    /// <summary>The AMQP headers that name a message's series (<see cref="Exchanges.SeriesHeaders"/>), in declaration order.</summary>
    static List<string> SeriesHeaderNames() => [.. typeof(Exchanges.SeriesHeaders).GetFields(BindingFlags.Public | BindingFlags.Static)
        .Where(f => f.IsLiteral).Select(f => (string)f.GetRawConstantValue()!)];

    /// <summary>
    /// The series headers the fleet sets on a message of <paramref name="type"/>, with the golden body's values
    /// (<see cref="Exchanges.SeriesOf"/> of the golden body read as the wire reads it), or null for a type that has none.
    /// </summary>
    static JsonObject? SeriesHeadersOf(Type type, string goldenDirectory)
    {
        var golden = JsonSerializer.Deserialize(File.ReadAllText(Path.Combine(goldenDirectory, $"{Exchanges.NameOf(type)}.json")), type, ContractJson.Options)!;
        if (Exchanges.SeriesOf(golden) is not { } series)
            return null;
        var names = SeriesHeaderNames();
        string[] values = [series.Exchange, series.Symbol, series.Interval];
        if (names.Count != values.Length)
            throw new InvalidOperationException($"Exchanges.SeriesHeaders names {names.Count} headers; SeriesOf gives {values.Length} values");
        return new JsonObject(names.Zip(values, (n, v) => KeyValuePair.Create(n, (JsonNode?)v)));
    }

    /// <summary>The channel id of a queue: <c>queue.&lt;name&gt;</c>, a per-instance queue's parameter written as <c>instance</c>.</summary>
    public static string QueueChannelId(string queue) => "queue." + queue.Replace("{instanceId}", "instance", StringComparison.Ordinal);

    /// <summary>The version of the contract: the <c>schemaVersion</c> a body carries unless its type says otherwise.</summary>
    static int ContractVersion() => ((IntegrationEvent)Activator.CreateInstance(Exchanges.ContractTypes[0])!).SchemaVersion;

    static string Description(Assembly contracts) =>
        $"{contracts.GetCustomAttribute<AssemblyDescriptionAttribute>()?.Description?.TrimEnd('.')}. " +
        "An event-driven fleet of .NET workers on RabbitMQ (AMQP 0-9-1): market-data feeds publish candles, Ingest stores them, " +
        "Training, Registry, Inference and Monitor turn them into trading signals, and trading services ask for and receive them.\n\n" +
        "Every public exchange is a durable fanout exchange; bodies are raw UTF-8 JSON (`content_type: application/json`, no " +
        "MassTransit envelope), camelCase, timestamps RFC 3339 in UTC, prices and volumes JSON numbers. Every body carries `eventId`, " +
        "`occurredAt`, `correlationId` and `schemaVersion`; `eventId` and `correlationId` are also the AMQP properties `message_id` " +
        "and `correlation_id`. Messages are persistent and published with confirms. Unknown members are ignored; a breaking change " +
        "gets a new `schemaVersion`.\n\n" +
        "Channels named after an exchange are the public contract. Channels named `queue.*` are the fleet's own quorum work queues, " +
        "each with its dead-letter queue `<queue>_error`, as the broker definitions (deploy/rabbitmq/definitions.template.json) and " +
        "the workers declare them. Each security scheme is a broker user; operations name the user that performs them.\n\n" +
        "Generated by AsyncApiGenerator (tests/NeuralTrade.Events.Tests) from the contract records, the workers' registrations and " +
        "the broker definitions; the payload schemas are docs/schemas/*.schema.json; the examples are the golden bodies the contract " +
        "tests pin. The guide for feeds and trading services is docs/contract.md.";

    static JsonObject Servers(FleetTopology.BrokerDefinitions broker, string vhost, string rabbitMqConf)
    {
        var conf = rabbitMqConf.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#'))
            .Select(l => l.Split('=', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0].Trim(), p => p[1].Trim(), StringComparer.Ordinal);
        var security = new JsonArray([.. broker.Users.Select(u => (JsonNode)Ref("components", "securitySchemes", u.Name))]);
        static int DefaultPort(string scheme) => RabbitMqAddress.TryParse($"{scheme}://broker/", out var a, out _) ? a!.Port : throw new InvalidOperationException(scheme);
        JsonObject Server(string protocol, string port, string host, string description) => new()
        {
            ["host"] = "{host}:{port}",
            ["protocol"] = protocol,
            ["protocolVersion"] = "0-9-1",
            ["pathname"] = vhost,
            ["description"] = description,
            ["variables"] = new JsonObject
            {
                ["host"] = new JsonObject { ["default"] = "localhost", ["description"] = host },
                ["port"] = new JsonObject { ["default"] = port },
            },
            ["security"] = security.DeepClone(),
        };

        var maxMessage = long.Parse(conf["max_message_size"], CultureInfo.InvariantCulture);
        return new JsonObject
        {
            ["broker"] = Server("amqps", conf["listeners.ssl.default"], "The broker's host name; it must match its TLS certificate.",
                $"The broker as shipped (deploy/rabbitmq/rabbitmq.conf): AMQP over TLS only (`listeners.tcp = {conf["listeners.tcp"]}`), virtual host " +
                $"`{vhost}`, messages of at most {maxMessage:N0} bytes. Every client logs in as its own user (the security schemes)."),
            ["development"] = Server("amqp", DefaultPort("amqp").ToString(CultureInfo.InvariantCulture), "The broker's host name.",
                "A development broker with a plain AMQP listener and the same definitions; the shipped configuration has none."),
        };
    }

    static JsonObject WorkQueueChannel(FleetTopology fleet, FleetTopology.Worker worker, FleetTopology.Consumer consumer)
    {
        var declared = fleet.Broker.QueueNamed(consumer.Queue);
        var arguments = declared is not null ? JsonNode.Parse(declared.Arguments.GetRawText())!.AsObject() : InstanceQueueArguments(consumer.Queue);
        var error = QueueTopology.ErrorQueue(consumer.Queue);
        var channel = QueueChannel(fleet, consumer, consumer.Queue, consumer.SampleQueue, declared, arguments,
            (consumer.PerInstance
                ? $"One queue per instance of the {worker.Name} worker, named by its `Inference:InstanceId`: every instance receives every message. Unused for " +
                  $"{QueueTopology.InstanceQueueExpiry.TotalDays:0} days, it expires. "
                : $"The work queue of the {worker.Name} worker: its instances compete for the messages. ") +
            $"Bound to {List(consumer.Messages.Select(m => $"`{Exchanges.NameOf(m)}`"))} through the exchange `{consumer.Queue}`. A quorum queue; a message that " +
            $"still fails after its retries, that is bad input, or that was delivered {arguments[QueueTopology.DeliveryLimit]} times goes to `{error}`.");
        channel["x-dead-letter-queue"] = error;
        if (consumer.PerInstance)
            channel["parameters"] = InstanceParameters();
        return channel;
    }

    static JsonObject DeadLetterChannel(FleetTopology fleet, FleetTopology.Worker worker, FleetTopology.Consumer consumer)
    {
        var name = QueueTopology.ErrorQueue(consumer.Queue);
        var declared = fleet.Broker.QueueNamed(name);
        var arguments = declared is not null
            ? JsonNode.Parse(declared.Arguments.GetRawText())!.AsObject()
            : (JsonObject)JsonSerializer.SerializeToNode(QueueTopology.DeadLetterQueueArguments)!;
        var channel = QueueChannel(fleet, consumer, name, QueueTopology.ErrorQueue(consumer.SampleQueue), declared, arguments,
            $"The dead letters of `{consumer.Queue}` ({worker.Name}): each message as received, with the exception and its stack in `MT-Fault-*` headers. " +
            "Nothing consumes it; an operator reads, replays or purges it (`neuraltrade dlq list | show | replay | purge`).");
        if (consumer.PerInstance)
            channel["parameters"] = InstanceParameters();
        return channel;
    }

    /// <summary>The address parameter of a per-instance queue: the instance id, as <c>InferenceOptions</c> validates it.</summary>
    static JsonObject InstanceParameters()
    {
        var pattern = typeof(Workers.Inference.InferenceOptions).GetProperty(nameof(Workers.Inference.InferenceOptions.InstanceId))!
            .GetCustomAttribute<System.ComponentModel.DataAnnotations.RegularExpressionAttribute>()!.Pattern;
        return new JsonObject
        {
            ["instanceId"] = new JsonObject
            {
                ["description"] = $"The instance's `Inference:InstanceId` (`NEURALTRADE_INSTANCE_ID`), unique in the fleet, matching `{pattern}`.",
            },
        };
    }

    /// <summary>A queue's channel; <paramref name="sample"/> is its name as one instance has it, for the policies' patterns.</summary>
    static JsonObject QueueChannel(FleetTopology fleet, FleetTopology.Consumer consumer, string name, string sample, FleetTopology.Queue? declared,
        JsonObject arguments, string description)
    {
        var policies = new JsonObject();
        foreach (var policy in fleet.Broker.Policies.Where(p => p.ApplyTo is "queues" or "all" && Matches(p.Pattern, sample)))
            policies[policy.Name] = JsonNode.Parse(policy.Definition.GetRawText());
        var channel = new JsonObject
        {
            ["address"] = name,
            ["title"] = name,
            ["description"] = description,
            ["messages"] = new JsonObject([.. consumer.Messages.Select(m => KeyValuePair.Create(m.Name, (JsonNode?)Ref("components", "messages", m.Name)))]),
            ["bindings"] = new JsonObject
            {
                ["amqp"] = new JsonObject
                {
                    ["is"] = "queue",
                    ["queue"] = new JsonObject
                    {
                        ["name"] = name,
                        // A queue the definitions do not declare is declared by MassTransit's receive endpoint: durable, not auto-deleted, not exclusive.
                        ["durable"] = declared?.Durable ?? true,
                        ["exclusive"] = false,
                        ["autoDelete"] = declared?.AutoDelete ?? false,
                        ["vhost"] = declared?.Vhost ?? fleet.Broker.Exchanges[0].Vhost,
                    },
                    ["bindingVersion"] = AmqpBindingVersion,
                },
            },
            ["x-queue-arguments"] = arguments,
        };
        if (policies.Count > 0)
            channel["x-policies"] = policies;
        return channel;
    }

    /// <summary>A per-instance queue is not in the definitions: the arguments its worker declares (<see cref="QueueTopology.ConfigureWorkQueue"/>).</summary>
    static JsonObject InstanceQueueArguments(string queue)
    {
        var arguments = (JsonObject)JsonSerializer.SerializeToNode(QueueTopology.WorkQueueArguments(queue, new MessagingOptions().DeliveryLimit))!;
        arguments[QueueTopology.Expires] = (long)QueueTopology.InstanceQueueExpiry.TotalMilliseconds;
        return arguments;
    }

    static JsonObject Send(string user, Type type, string description) =>
        Operation("send", Exchanges.NameOf(type)!, [type], user, description, new JsonObject
        {
            ["deliveryMode"] = 2,
            ["mandatory"] = Exchanges.MustRoute(type),
        });

    static JsonObject Operation(string action, string channel, IEnumerable<Type> types, string user, string description, JsonObject? amqp)
    {
        var operation = new JsonObject
        {
            ["action"] = action,
            ["channel"] = Ref("channels", channel),
            ["description"] = description,
            ["security"] = new JsonArray(Ref("components", "securitySchemes", user)),
            ["messages"] = new JsonArray([.. types.Select(t => (JsonNode)Ref("channels", channel, "messages", t.Name))]),
        };
        if (amqp is not null)
        {
            amqp["bindingVersion"] = AmqpBindingVersion;
            operation["bindings"] = new JsonObject { ["amqp"] = amqp };
        }

        return operation;
    }

    static JsonObject Message(Type type, string exchange, XmlDocs docs, string goldenDirectory)
    {
        var golden = Path.Combine(goldenDirectory, $"{exchange}.json");
        var example = new JsonObject
        {
            ["name"] = "golden",
            ["summary"] = $"tests/NeuralTrade.Events.Tests/Golden/{exchange}.json, the body the contract tests pin.",
        };
        var seriesHeaders = SeriesHeadersOf(type, goldenDirectory);
        if (seriesHeaders is not null)
            example["headers"] = seriesHeaders;
        example["payload"] = JsonNode.Parse(File.ReadAllText(golden));
        var message = new JsonObject
        {
            ["name"] = type.Name,
            ["title"] = exchange,
            ["summary"] = docs.Type(type),
            ["contentType"] = "application/json",
            ["correlationId"] = new JsonObject
            {
                ["description"] = "Carried unchanged from the message that caused this one; also the AMQP property `correlation_id`.",
                ["location"] = "$message.payload#/correlationId",
            },
        };
        if (seriesHeaders is not null)
        {
            // The series as AMQP headers (what the by-series headers exchanges route on): the body's own values.
            message["headers"] = new JsonObject
            {
                ["type"] = "object",
                ["properties"] = new JsonObject([.. SeriesHeaderNames().Select(h => KeyValuePair.Create(h, (JsonNode?)new JsonObject
                {
                    ["type"] = "string",
                    ["description"] = docs.Member(typeof(Exchanges.SeriesHeaders), h),
                }))]),
                ["required"] = new JsonArray([.. SeriesHeaderNames().Select(h => (JsonNode)h)]),
            };
        }

        message["payload"] = new JsonObject
        {
            ["schemaFormat"] = SchemaFormat,
            ["schema"] = new JsonObject { ["$ref"] = $"schemas/{exchange}.schema.json" },
        };
        message["examples"] = new JsonArray(example);
        return message;
    }

    static JsonObject SecuritySchemes(FleetTopology fleet, HashSet<string> administrators)
    {
        var schemes = new JsonObject();
        foreach (var user in fleet.Broker.Users)
        {
            var permission = fleet.Broker.PermissionOf(user.Name) ?? throw new InvalidOperationException($"user {user.Name} has no permissions");
            var exchanges = Exchanges.ContractTypes.Select(t => Exchanges.NameOf(t)!).ToList();
            var writes = exchanges.Where(e => Matches(permission.Write, e)).ToList();
            var reads = exchanges.Where(e => Matches(permission.Read, e)).ToList();
            var worker = fleet.Workers.SingleOrDefault(w => w.Name == user.Name);
            var role = administrators.Contains(user.Name) ? "The broker's administrator (management UI): everything."
                : worker is not null ? $"The {worker.Name} worker's user."
                : "A client of the fleet.";
            schemes[user.Name] = new JsonObject
            {
                ["type"] = "userPassword",
                ["description"] = $"Broker user `{user.Name}`{(user.Tags.Count > 0 ? $" (tags: {string.Join(", ", user.Tags)})" : "")}. {role} " +
                    $"Public exchanges it may publish to: {List(writes, "none")}; bind its queues to: {List(reads, "none")}. " +
                    $"RabbitMQ permissions on `{permission.Vhost}`: configure `{permission.Configure}`, write `{permission.Write}`, read `{permission.Read}`.",
                ["x-rabbitmq-tags"] = new JsonArray([.. user.Tags.Select(t => (JsonNode)t)]),
                ["x-rabbitmq-permissions"] = new JsonObject
                {
                    ["vhost"] = permission.Vhost,
                    ["configure"] = permission.Configure,
                    ["write"] = permission.Write,
                    ["read"] = permission.Read,
                },
            };
        }

        return schemes;
    }

    /// <summary>Whether a RabbitMQ permission pattern (a regular expression, unanchored unless it anchors itself) allows a resource name.</summary>
    public static bool Matches(string? pattern, string name) => pattern is { Length: > 0 } && Regex.IsMatch(name, pattern, RegexOptions.CultureInvariant);

    static JsonObject Ref(params string[] path) => new() { ["$ref"] = "#/" + string.Join('/', path.Select(p => p.Replace("~", "~0", StringComparison.Ordinal).Replace("/", "~1", StringComparison.Ordinal))) };

    static string List(IEnumerable<string?> items, string none = "nobody")
    {
        var list = items.OfType<string>().ToList();
        return list.Count switch
        {
            0 => none,
            1 => list[0],
            _ => string.Join(", ", list[..^1]) + " and " + list[^1],
        };
    }

    /// <summary>The document as the committed file holds it: YAML, indented by two, with a final newline.</summary>
    public static string ToYaml(JsonNode document)
    {
        ArgumentNullException.ThrowIfNull(document);
        var stream = new YamlStream(new YamlDocument(ToYamlNode(document)));
        var text = new StringWriter(CultureInfo.InvariantCulture) { NewLine = "\n" };
        stream.Save(text, assignAnchors: false);
        // YamlDotNet ends a document with "...": the file is one document.
        var yaml = text.ToString();
        return yaml.EndsWith("...\n", StringComparison.Ordinal) ? yaml[..^4] : yaml;
    }

    static YamlNode ToYamlNode(JsonNode? node) => node switch
    {
        JsonObject o => new YamlMappingNode(o.Select(p => new KeyValuePair<YamlNode, YamlNode>(Scalar(p.Key), ToYamlNode(p.Value)))),
        JsonArray a => new YamlSequenceNode(a.Select(ToYamlNode)),
        null => new YamlScalarNode("null") { Style = ScalarStyle.Plain },
        JsonValue v when v.GetValueKind() == JsonValueKind.String => Scalar(v.GetValue<string>()),
        JsonValue v => new YamlScalarNode(v.ToJsonString()) { Style = ScalarStyle.Plain },
        _ => throw new NotSupportedException(node.GetType().Name),
    };

    /// <summary>
    /// A string: plain where no YAML reader could take it for anything else, a literal block where it has lines, double-quoted
    /// otherwise.
    /// </summary>
    static YamlScalarNode Scalar(string text) => new(text)
    {
        Style = PlainSafe().IsMatch(text) && !YamlKeywords.Contains(text) ? ScalarStyle.Plain
            : text.Contains('\n', StringComparison.Ordinal) && LiteralSafe().IsMatch(text) ? ScalarStyle.Literal
            : ScalarStyle.DoubleQuoted,
    };

    // No tab or carriage return, no line that starts or ends with a space, no final line break (the block is written "|-").
    [GeneratedRegex(@"^(?! )(?![\s\S]*(?: \n|\n ))[^\t\r]*(?<![ \n])\z")]
    private static partial Regex LiteralSafe();

    // Letters first (no number, date, indicator or alias can start so), then only characters that end no token in YAML 1.1 or 1.2.
    [GeneratedRegex(@"^[A-Za-z][A-Za-z0-9_.\-/() ,;'`<>]*(?<! )$")]
    private static partial Regex PlainSafe();

    // Words that YAML 1.1 or 1.2 readers resolve to booleans or null.
    static readonly HashSet<string> YamlKeywords = new(StringComparer.OrdinalIgnoreCase) { "true", "false", "yes", "no", "on", "off", "y", "n", "null" };

    /// <summary>Reads YAML back as JSON: plain scalars that are numbers, booleans or null as such, every other scalar as a string.</summary>
    public static JsonNode? FromYaml(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        return FromYamlNode(stream.Documents.Single().RootNode);
    }

    static JsonNode? FromYamlNode(YamlNode node) => node switch
    {
        YamlMappingNode m => new JsonObject(m.Children.Select(p => KeyValuePair.Create(((YamlScalarNode)p.Key).Value!, FromYamlNode(p.Value)))),
        YamlSequenceNode s => new JsonArray([.. s.Children.Select(FromYamlNode)]),
        YamlScalarNode { Style: ScalarStyle.Plain, Value: "null" } => null,
        YamlScalarNode { Style: ScalarStyle.Plain, Value: "true" or "false" } b => JsonValue.Create(b.Value == "true"),
        YamlScalarNode { Style: ScalarStyle.Plain } p when JsonNumber().IsMatch(p.Value!) => JsonNode.Parse(p.Value!),
        YamlScalarNode scalar => JsonValue.Create(scalar.Value),
        _ => throw new NotSupportedException(node.GetType().Name),
    };

    [GeneratedRegex(@"^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$")]
    private static partial Regex JsonNumber();

    /// <summary>The XML documentation the compiler wrote for an assembly, as plain text with <c>code</c> in backticks.</summary>
    sealed class XmlDocs(XDocument xml)
    {
        public static XmlDocs For(Assembly assembly)
        {
            var path = Path.ChangeExtension(assembly.Location, ".xml");
            return File.Exists(path) ? new XmlDocs(XDocument.Load(path, LoadOptions.PreserveWhitespace)) : throw new FileNotFoundException($"no XML documentation beside {assembly.Location}", path);
        }

        public string Type(Type type) => Summary($"T:{type.FullName}");

        public string Member(Type type, string constantValue)
        {
            var field = type.GetFields(BindingFlags.Public | BindingFlags.Static).Single(f => f.IsLiteral && Equals(f.GetRawConstantValue(), constantValue));
            return Summary($"F:{type.FullName!.Replace('+', '.')}.{field.Name}");
        }

        string Summary(string member)
        {
            var summary = xml.Descendants("member").SingleOrDefault(m => (string?)m.Attribute("name") == member)?.Element("summary")
                ?? throw new InvalidOperationException($"{member} has no <summary>");
            var text = new StringBuilder();
            foreach (var node in summary.Nodes())
            {
                text.Append(node switch
                {
                    XText t => t.Value,
                    XElement { Name.LocalName: "c" } c => $"`{c.Value}`",
                    XElement { Name.LocalName: "see" } see => see.Attribute("langword")?.Value ?? ShortName(see.Attribute("cref")?.Value ?? see.Value),
                    XElement e => e.Value,
                    _ => "",
                });
            }

            return Whitespace().Replace(text.ToString(), " ").Trim();
        }

        /// <summary>
        /// A cref as a reader wants it: a constant of the contract as its value (<c>prediction.completed</c>), a class of
        /// constants as their values (<c>exchange</c>, <c>symbol</c>, <c>interval</c>), anything else by its name.
        /// </summary>
        static string ShortName(string cref)
        {
            var name = cref.Contains(':', StringComparison.Ordinal) ? cref[(cref.LastIndexOf('.') + 1)..] : cref;
            var contracts = typeof(Exchanges).Assembly;
            if (cref.StartsWith("F:", StringComparison.Ordinal) && TypeNamed(contracts, cref[2..cref.LastIndexOf('.')])?.GetField(name) is { IsLiteral: true } field)
                return $"`{field.GetRawConstantValue()}`";
            var constants = cref.StartsWith("T:", StringComparison.Ordinal)
                ? TypeNamed(contracts, cref[2..])?.GetFields(BindingFlags.Public | BindingFlags.Static).Where(f => f.IsLiteral).ToList()
                : null;
            return constants is { Count: > 0 } ? string.Join(", ", constants.Select(f => $"`{f.GetRawConstantValue()}`")) : name;
        }

        /// <summary>A type by its documentation name, where a nested type is written with a dot.</summary>
        static Type? TypeNamed(Assembly assembly, string name) =>
            assembly.GetType(name) ?? (name.LastIndexOf('.') is var dot and > 0 ? assembly.GetType($"{name[..dot]}+{name[(dot + 1)..]}") : null);
    }

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();
}
