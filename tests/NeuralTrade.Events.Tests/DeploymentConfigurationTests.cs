using System.Text.Json;
using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace NeuralTrade.Events.Tests;

/// <summary>
/// compose.yaml and the broker's configuration are closed by default: nothing published beyond 127.0.0.1, RabbitMQ and
/// Redis over TLS only, every worker its own broker and Redis user, MLflow behind its basic auth, every password
/// from the environment. (No Docker engine runs here; deploy/rabbitmq/rabbitmq.conf was started on RabbitMQ 3.10 by
/// hand, with TLS-only AMQP and https management listening; the integration tests run the Redis ACL and TLS for real.)
/// </summary>
public sealed partial class DeploymentConfigurationTests
{
    static readonly string Files = Path.Combine(AppContext.BaseDirectory, "deploy-files");
    static readonly string[] Workers = ["ingest", "training", "training-cuda", "registry", "inference", "monitor"];

    static YamlMappingNode Compose()
    {
        var yaml = new YamlStream();
        yaml.Load(new StringReader(File.ReadAllText(Path.Combine(Files, "compose.yaml"))));
        return (YamlMappingNode)yaml.Documents[0].RootNode;
    }

    static YamlMappingNode Services() => (YamlMappingNode)Compose()["services"];

    static YamlMappingNode? Map(YamlMappingNode node, string key) =>
        node.Children.TryGetValue(new YamlScalarNode(key), out var child) ? child as YamlMappingNode : null;

    static string? Scalar(YamlMappingNode? node, string key) =>
        node is not null && node.Children.TryGetValue(new YamlScalarNode(key), out var child) ? (child as YamlScalarNode)?.Value : null;

    [Test]
    public void Compose_publishes_only_on_127_0_0_1_unless_told_otherwise()
    {
        var published = new List<string>();
        foreach (var (name, service) in Services().Children)
        {
            if (Map((YamlMappingNode)service, "ports") is not null)
                Assert.Fail($"{name}: ports must be a list");
            if (((YamlMappingNode)service).Children.TryGetValue(new YamlScalarNode("ports"), out var ports))
                published.AddRange(((YamlSequenceNode)ports).Children.Select(p => $"{name} {((YamlScalarNode)p).Value}"));
        }

        Assert.That(published, Is.Not.Empty);
        Assert.That(published.Where(p => !p.Split(' ')[1].StartsWith("${NEURALTRADE_PUBLISH_ADDRESS:-127.0.0.1}:", StringComparison.Ordinal)), Is.Empty,
            "every published port is bound to NEURALTRADE_PUBLISH_ADDRESS, 127.0.0.1 by default");
        Assert.That(published.Select(p => p.Split(':')[^1]), Is.EquivalentTo(new[] { "5671", "15671", "5000" }),
            "amqps, the management UI over https, MLflow (behind basic auth); Redis is not published");
    }

    [Test]
    public void Every_worker_uses_amqps_and_rediss_with_its_own_users_and_the_ca()
    {
        var services = Services();
        foreach (var worker in Workers)
        {
            var environment = Merged(services, worker);
            var user = worker.Replace("-cuda", "", StringComparison.Ordinal);
            var passwordVariable = $"${{RABBITMQ_PASSWORD_{user.ToUpperInvariant()}:?}}";
            Assert.That(environment["RABBITMQ_URL"], Is.EqualTo($"amqps://{user}:{passwordVariable}@rabbitmq:5671/"), worker);
            Assert.That(environment["REDIS_URL"], Is.EqualTo($"rediss://{user}:${{REDIS_PASSWORD_{user.ToUpperInvariant()}:?}}@redis:6379"), worker);
            Assert.That((environment["RABBITMQ_CA_FILE"], environment["REDIS_CA_FILE"]), Is.EqualTo(("/tls/ca.pem", "/tls/ca.pem")), worker);
            Assert.That(environment["MLFLOW_TRACKING_PASSWORD"], Does.StartWith("${MLFLOW_ADMIN_PASSWORD"), worker);
        }
    }

    /// <summary>A worker's environment: the x-worker anchor's, overridden by its own (YamlDotNet resolves the merge keys' aliases).</summary>
    static Dictionary<string, string> Merged(YamlMappingNode services, string worker)
    {
        var environment = new Dictionary<string, string>();
        foreach (var (key, value) in Map(Map(services, worker)!, "environment")!.Children)
        {
            var name = ((YamlScalarNode)key).Value!;
            if (name == "<<")
            {
                foreach (var (k, v) in ((YamlMappingNode)value).Children)
                    environment.TryAdd(((YamlScalarNode)k).Value!, ((YamlScalarNode)v).Value!);
            }
            else
            {
                environment[name] = ((YamlScalarNode)value).Value!;
            }
        }

        return environment;
    }

    [Test]
    public void Redis_listens_with_tls_only_and_loads_the_acl_whose_every_password_compose_provides()
    {
        var services = Services();
        var command = ((YamlSequenceNode)Map(services, "redis")!["command"]).Children.Select(c => ((YamlScalarNode)c).Value!).ToList();
        Assert.That(string.Join(' ', command), Does.Contain("--port 0").And.Contain("--tls-port 6379").And.Contain("--aclfile /acl/users.acl"));

        var aclUsers = AclPasswordUsers().Select(u => $"REDIS_PASSWORD_{u.ToUpperInvariant()}").ToHashSet();
        var provided = Map(Map(services, "redis-acl")!, "environment")!.Children.Keys.Select(k => ((YamlScalarNode)k).Value!).ToHashSet();
        Assert.That(provided, Is.EquivalentTo(aclUsers));
        Assert.That(File.ReadAllText(Path.Combine(Files, "users.acl.template")), Does.Contain("user default off"));
    }

    [Test]
    public void RabbitMQ_listens_with_tls_only_and_compose_provides_every_users_password()
    {
        var conf = File.ReadAllLines(Path.Combine(Files, "rabbitmq.conf")).Where(l => !l.TrimStart().StartsWith('#')).ToList();
        Assert.That(conf, Does.Contain("listeners.tcp = none"));
        Assert.That(conf.Any(l => l.StartsWith("listeners.ssl.default = 5671", StringComparison.Ordinal)), Is.True);
        Assert.That(conf.Any(l => l.StartsWith("management.ssl.port", StringComparison.Ordinal)), Is.True);
        Assert.That(conf.Any(l => l.StartsWith("management.tcp", StringComparison.Ordinal)), Is.False, "no plain-HTTP management listener");

        var users = JsonDocument.Parse(File.ReadAllText(Path.Combine(Files, "definitions.template.json"))).RootElement.GetProperty("users")
            .EnumerateArray().Select(u => $"RABBITMQ_PASSWORD_{u.GetProperty("name").GetString()!.ToUpperInvariant()}").ToHashSet();
        var provided = Map(Map(Services(), "rabbitmq-definitions")!, "environment")!.Children.Keys.Select(k => ((YamlScalarNode)k).Value!).ToHashSet();
        Assert.That(provided, Is.EquivalentTo(users));
    }

    [Test]
    public void Every_fleet_image_is_built_with_the_git_commit_that_training_runs_record()
    {
        var built = Services().Children.Select(s => (Name: ((YamlScalarNode)s.Key).Value!, Build: Map((YamlMappingNode)s.Value, "build")))
            .Where(s => Scalar(s.Build, "dockerfile") == "deploy/Dockerfile").ToList();
        Assert.That(built, Is.Not.Empty);
        foreach (var (name, build) in built)
            Assert.That(Scalar(Map(build!, "args"), "GIT_COMMIT"), Is.EqualTo("${GIT_COMMIT:-unknown}"), name);
        var dockerfile = File.ReadAllText(Path.Combine(Files, "Dockerfile"));
        Assert.That(dockerfile, Does.Contain("-p:SourceRevisionId=${GIT_COMMIT}").And.Contain("NEURALTRADE_GIT_COMMIT=${GIT_COMMIT}"),
            "the commit reaches the assemblies and the runtime image (mlflow.source.git.commit)");
    }

    [Test]
    public void MLflow_runs_with_basic_auth_and_no_anonymous_permission()
    {
        var entrypoint = File.ReadAllText(Path.Combine(Files, "mlflow-entrypoint.sh"));
        Assert.That(entrypoint, Does.Contain("default_permission = NO_PERMISSIONS").And.Contain("exec mlflow server --app-name basic-auth"));
        var mlflow = Map(Services(), "mlflow")!;
        Assert.That(Scalar(Map(mlflow, "build"), "dockerfile"), Is.EqualTo("deploy/mlflow/Dockerfile"));
        Assert.That(Scalar(Map(mlflow, "environment"), "MLFLOW_ADMIN_PASSWORD"), Does.StartWith("${MLFLOW_ADMIN_PASSWORD:?"));
    }

    [GeneratedRegex(@"\{\{password:(?<user>[a-z0-9_-]+)\}\}")]
    private static partial Regex PasswordPlaceholder();

    static IEnumerable<string> AclPasswordUsers() =>
        PasswordPlaceholder().Matches(File.ReadAllText(Path.Combine(Files, "users.acl.template"))).Select(m => m.Groups["user"].Value).Distinct();

    [Test]
    public void The_broker_definitions_declare_every_work_queue_exactly_as_the_workers_do()
    {
        using var definitions = JsonDocument.Parse(File.ReadAllText(Path.Combine(Files, "definitions.template.json")));
        var root = definitions.RootElement;
        var queues = root.GetProperty("queues").EnumerateArray().ToDictionary(q => q.GetProperty("name").GetString()!, q => q.GetProperty("arguments"));
        var bindings = root.GetProperty("bindings").EnumerateArray()
            .Select(b => (b.GetProperty("source").GetString(), b.GetProperty("destination").GetString(), b.GetProperty("destination_type").GetString())).ToHashSet();
        (string Queue, string Exchange)[] work =
        [
            ("ingest", "market.candles"), ("training", "training.requested"), ("registry", "training.completed"), ("registry-promote", "model.promote"),
            ("registry-rollback", "model.rollback"), ("inference", "prediction.requested"), ("inference-stream", "data.ingested"),
            ("monitor", "data.ingested"), ("monitor-predictions", "prediction.completed"), ("training-trials", "training.trial"),
        ];
        static Dictionary<string, string> Flat(JsonElement arguments) => arguments.EnumerateObject().ToDictionary(a => a.Name, a => a.Value.ToString());
        foreach (var (queue, exchange) in work)
        {
            var expected = NeuralTrade.Events.Messaging.QueueTopology.WorkQueueArguments(queue, new NeuralTrade.Events.Messaging.MessagingOptions().DeliveryLimit)
                .ToDictionary(a => a.Key, a => Convert.ToString(a.Value, System.Globalization.CultureInfo.InvariantCulture)!);
            Assert.That(Flat(queues[queue]), Is.EquivalentTo(expected), $"{queue}: the arguments MassTransit declares");
            Assert.That(Flat(queues[queue + "_error"]), Is.EquivalentTo(new Dictionary<string, string> { ["x-queue-type"] = "quorum" }), $"{queue}_error");
            Assert.That(bindings, Does.Contain((exchange, queue, "exchange")).And.Contain((queue, queue, "queue")).And.Contain((queue + "_error", queue + "_error", "queue")),
                $"{exchange} → exchange {queue} → queue {queue}, and its dead-letter queue");
        }

        Assert.That(queues.Keys, Has.Count.EqualTo(2 * work.Length), "no other queue");
    }

    [Test]
    public void Compose_names_the_inference_replica_and_fsyncs_redis_on_every_write()
    {
        var inference = Map(Services(), "inference")!;
        Assert.That(Scalar(Map(inference, "environment"), "NEURALTRADE_INSTANCE_ID"), Is.EqualTo("inference-1"));
        var redis = (YamlSequenceNode)Map(Services(), "redis")!.Children[new YamlScalarNode("command")];
        var words = redis.Children.Select(c => ((YamlScalarNode)c).Value).ToList();
        Assert.That(words[words.IndexOf("--appendfsync") + 1], Is.EqualTo("always"));
    }
}
