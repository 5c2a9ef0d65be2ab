using System.Text.Json.Nodes;
using NeuralTrade.Events.Contracts;
using NeuralTrade.Events.Messaging;

namespace NeuralTrade.Events.Tests;

/// <summary>
/// docs/asyncapi.yaml is what <see cref="AsyncApiGenerator"/> makes of this build (<c>NEURALTRADE_UPDATE_GOLDEN=1</c> rewrites
/// it), reads back as the same document, and agrees with the broker definitions. AsyncApiValidationTests run the AsyncAPI
/// parser on it.
/// </summary>
public sealed class AsyncApiTests
{
    internal static string Repository([System.Runtime.CompilerServices.CallerFilePath] string path = "") =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(path)!, "..", ".."));

    internal static string DocumentPath => Path.Combine(Repository(), "docs", "asyncapi.yaml");

    static readonly string DeployFiles = Path.Combine(AppContext.BaseDirectory, "deploy-files");

    static readonly Lazy<FleetTopology> Fleet = new(() => FleetTopology.Load(Path.Combine(DeployFiles, "definitions.template.json")));

    static readonly Lazy<JsonObject> Generated = new(() => AsyncApiGenerator.Generate(Fleet.Value, Path.Combine(AppContext.BaseDirectory, "Golden"),
        File.ReadAllText(Path.Combine(DeployFiles, "rabbitmq.conf"))));

    /// <summary>The generated document (a fresh copy).</summary>
    internal static JsonObject Document() => Generated.Value.DeepClone().AsObject();

    /// <summary>Every exchange of the public contract: one per contract type, and the by-series headers exchanges.</summary>
    internal static IEnumerable<string> PublicExchanges() => Exchanges.ContractTypes.Select(t => Exchanges.NameOf(t)!).Concat(Exchanges.BySeries.Values);

    [Test]
    public void The_committed_document_is_the_generated_one()
    {
        var generated = AsyncApiGenerator.ToYaml(Document());
        if (Environment.GetEnvironmentVariable("NEURALTRADE_UPDATE_GOLDEN") == "1")
        {
            File.WriteAllText(DocumentPath, generated);
            Assert.Ignore($"rewrote {DocumentPath}");
        }

        Assert.That(File.Exists(DocumentPath), Is.True, "no docs/asyncapi.yaml; run with NEURALTRADE_UPDATE_GOLDEN=1 once");
        Assert.That(File.ReadAllText(DocumentPath), Is.EqualTo(generated),
            "the fleet's contract or topology changed: regenerate docs/asyncapi.yaml with NEURALTRADE_UPDATE_GOLDEN=1 (dotnet test --filter AsyncApiTests)");
    }

    [Test]
    public void The_yaml_reads_back_as_the_generated_document()
    {
        var document = Document();
        var read = AsyncApiGenerator.FromYaml(AsyncApiGenerator.ToYaml(document));
        Assert.That(JsonNode.DeepEquals(read, document), Is.True, "every string stays a string, every number a number");
    }

    [Test]
    public void Every_public_exchange_and_every_queue_the_broker_declares_is_a_channel()
    {
        var channels = Document()["channels"]!.AsObject();
        var exchanges = channels.Where(c => (string?)c.Value!["bindings"]!["amqp"]!["is"] == "routingKey").Select(c => (string)c.Value!["address"]!).ToList();
        var queues = channels.Where(c => (string?)c.Value!["bindings"]!["amqp"]!["is"] == "queue").Select(c => (string)c.Value!["address"]!).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(exchanges, Is.EquivalentTo(PublicExchanges()));
            // Every queue but those of a worker's internal exchanges (FleetTopology.InternalExchanges), which are no part of the contract.
            var internalQueues = Fleet.Value.Broker.Bindings.Where(b => FleetTopology.InternalExchanges.Contains(b.Source))
                .Select(b => b.Destination).SelectMany(q => new[] { q, q + "_error" }).ToHashSet();
            Assert.That(internalQueues, Is.Not.Empty);
            Assert.That(queues, Is.SupersetOf(Fleet.Value.Broker.Queues.Select(q => q.Name).Where(q => !internalQueues.Contains(q))));
            foreach (var (id, channel) in channels)
            {
                foreach (var (key, message) in channel!["messages"]!.AsObject())
                    Assert.That((string?)message!["$ref"], Is.EqualTo($"#/components/messages/{key}"), id);
            }
        });
    }

    [Test]
    public void A_queue_channel_is_bound_to_the_exchanges_the_broker_definitions_bind_it_to()
    {
        var broker = Fleet.Value.Broker;
        var channels = Document()["channels"]!.AsObject();
        foreach (var consumer in Fleet.Value.Workers.SelectMany(w => w.Consumers).Where(c => broker.QueueNamed(c.Queue) is not null))
        {
            // public exchange → the exchange named after the queue → the queue (MassTransit's topology, and the definitions').
            var bound = broker.Bindings.Where(b => b.Destination == consumer.Queue && b.DestinationType == "exchange").Select(b => b.Source);
            Assert.That(bound, Is.EquivalentTo(consumer.Messages.Select(Exchanges.NameOf)), consumer.Queue);
            Assert.That(broker.Bindings.Any(b => b.Source == consumer.Queue && b.Destination == consumer.Queue && b.DestinationType == "queue"), consumer.Queue);
            var channel = channels[AsyncApiGenerator.QueueChannelId(consumer.Queue)]!;
            Assert.That(channel["messages"]!.AsObject().Select(m => m.Key), Is.EquivalentTo(consumer.Messages.Select(m => m.Name)), consumer.Queue);
            Assert.That((string?)channel["x-dead-letter-queue"], Is.EqualTo(QueueTopology.ErrorQueue(consumer.Queue)));
        }
    }

    [Test]
    public void What_each_worker_does_on_the_bus_its_broker_user_may_do()
    {
        var broker = Fleet.Value.Broker;
        Assert.Multiple(() =>
        {
            foreach (var worker in Fleet.Value.Workers)
            {
                var permission = broker.PermissionOf(worker.Name);
                Assert.That(permission, Is.Not.Null, $"the {worker.Name} worker has a broker user of its name");
                foreach (var type in worker.Publishes)
                    Assert.That(AsyncApiGenerator.Matches(permission!.Write, Exchanges.NameOf(type)!), Is.True, $"{worker.Name} writes {Exchanges.NameOf(type)}");
                foreach (var consumer in worker.Consumers)
                {
                    Assert.That(AsyncApiGenerator.Matches(permission!.Read, consumer.SampleQueue), Is.True, $"{worker.Name} reads {consumer.Queue}");
                    Assert.That(AsyncApiGenerator.Matches(permission.Configure, consumer.SampleQueue), Is.True, $"{worker.Name} declares {consumer.Queue}");
                    foreach (var type in consumer.Messages)
                        Assert.That(AsyncApiGenerator.Matches(permission.Read, Exchanges.NameOf(type)!), Is.True, $"{worker.Name} binds to {Exchanges.NameOf(type)}");
                }
            }
        });
    }

    [Test]
    public void Operations_name_the_users_who_send_and_receive_each_public_message()
    {
        var operations = Document()["operations"]!.AsObject();
        string[] Who(string action, string exchange) => [.. operations
            .Where(o => (string?)o.Value!["action"] == action && (string?)o.Value["channel"]!["$ref"] == $"#/channels/{exchange}")
            .Select(o => ((string)o.Value!["security"]![0]!["$ref"]!).Split('/')[^1]).Order(StringComparer.Ordinal)];
        Assert.Multiple(() =>
        {
            Assert.That(Who("send", Exchanges.MarketCandles), Is.EqualTo(new[] { "feed", "operator" }));
            Assert.That(Who("send", Exchanges.DataIngested), Is.EqualTo(new[] { "ingest" }));
            Assert.That(Who("send", Exchanges.DataRejected), Is.EqualTo(new[] { "ingest" }));
            Assert.That(Who("receive", Exchanges.DataRejected), Is.EqualTo(new[] { "feed", "operator" }));
            Assert.That(Who("send", Exchanges.PredictionRequested), Is.EqualTo(new[] { "operator", "trading" }));
            Assert.That(Who("receive", Exchanges.PredictionCompleted), Is.EqualTo(new[] { "operator", "trading" }));
            Assert.That(Who("send", Exchanges.PredictionCompleted), Is.EqualTo(new[] { "inference" }));
            Assert.That(Who("send", Exchanges.TrainingRequested), Is.EqualTo(new[] { "monitor", "operator" }));
            Assert.That(operations.ContainsKey($"ingest.receive.{AsyncApiGenerator.QueueChannelId("ingest")}"), Is.True);
            Assert.That(operations.ContainsKey($"inference.receive.{AsyncApiGenerator.QueueChannelId("inference-swap-{instanceId}")}"), Is.True);
        });
    }

    [Test]
    public void A_by_series_exchange_is_the_definitions_headers_exchange_bound_from_its_fanout_and_readable_by_trading()
    {
        var document = Document();
        var broker = Fleet.Value.Broker;
        Assert.That(Exchanges.BySeries, Is.Not.Empty);
        foreach (var (source, bySeries) in Exchanges.BySeries)
        {
            var channel = document["channels"]![bySeries]!;
            Assert.Multiple(() =>
            {
                Assert.That((string?)channel["bindings"]!["amqp"]!["exchange"]!["type"], Is.EqualTo(broker.ExchangeNamed(bySeries)!.Type).And.EqualTo("headers"));
                Assert.That((string?)channel["x-bound-from"], Is.EqualTo(source));
                Assert.That(broker.Bindings.Any(b => b.Source == source && b.Destination == bySeries && b.DestinationType == "exchange"), Is.True);
                Assert.That(channel["x-subscriber-binding-arguments"]!.AsObject().Select(a => a.Key),
                    Is.EqualTo(new[] { "x-match", Exchanges.SeriesHeaders.Exchange, Exchanges.SeriesHeaders.Symbol, Exchanges.SeriesHeaders.Interval }));
                Assert.That(document["operations"]!.AsObject().ContainsKey($"trading.receive.{bySeries}"), Is.True);
                Assert.That(document["operations"]!.AsObject().Where(o => (string?)o.Value!["channel"]!["$ref"] == $"#/channels/{bySeries}")
                    .Select(o => (string?)o.Value!["action"]), Is.All.EqualTo("receive"), "nobody publishes to it: the broker routes the fanout's messages");
            });
        }
    }

    [Test]
    public void A_message_of_one_series_declares_the_series_headers_and_its_example_carries_the_bodys_values()
    {
        var messages = Document()["components"]!["messages"]!.AsObject();
        Assert.Multiple(() =>
        {
            foreach (var type in Exchanges.ContractTypes)
            {
                var message = messages[type.Name]!;
                var payload = message["examples"]![0]!["payload"]!;
                var perSeries = type == typeof(DataIngested) || type == typeof(PredictionCompleted) || type == typeof(PredictionFailed) || type == typeof(DriftDetected);
                if (!perSeries)
                {
                    Assert.That(message["headers"], Is.Null, type.Name);
                    continue;
                }

                Assert.That(message["headers"]!["required"]!.AsArray().Select(h => (string?)h), Is.EqualTo(new[] { "exchange", "symbol", "interval" }), type.Name);
                var headers = message["examples"]![0]!["headers"]!;
                foreach (var header in new[] { "exchange", "symbol", "interval" })
                    Assert.That((string?)headers[header], Is.EqualTo((string?)payload[header]), $"{type.Name} {header}");
            }
        });
    }

    /// <summary>
    /// The payloads are declared as draft-07 schemas (<see cref="AsyncApiGenerator.SchemaFormat"/>) while docs/schemas say
    /// 2020-12: true only while they use keywords that mean the same in both.
    /// </summary>
    [Test]
    public void The_schemas_use_only_keywords_that_draft_07_reads_as_2020_12_does()
    {
        string[] shared = ["$schema", "$id", "title", "description", "type", "properties", "required", "items", "enum", "const", "format",
            "minLength", "maxLength", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "minItems", "maxItems", "pattern",
            "additionalProperties", "default", "examples", "anyOf", "oneOf", "allOf", "not"];
        var used = new HashSet<string>(StringComparer.Ordinal);
        void Walk(JsonNode? schema)
        {
            if (schema is not JsonObject o)
                return;
            foreach (var (key, value) in o)
            {
                used.Add(key);
                switch (key)
                {
                    case "properties":
                        foreach (var (_, property) in value!.AsObject())
                            Walk(property);
                        break;
                    case "items" when value is JsonArray:
                        used.Add("items (array form)");
                        break;
                    case "items" or "additionalProperties" or "not":
                        Walk(value);
                        break;
                    case "anyOf" or "oneOf" or "allOf":
                        foreach (var item in value!.AsArray())
                            Walk(item);
                        break;
                }
            }
        }

        foreach (var schema in ContractSchemas.All().Values)
            Walk(schema);
        Assert.That(used, Is.SubsetOf(shared));
        Assert.That(used, Does.Contain("format"), "the walk reached the members");
    }
}
