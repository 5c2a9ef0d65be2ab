using System.Text.Json;
using NeuralTrade.Events.Stores;
using NeuralTrade.Events.Workers.Inference;

namespace NeuralTrade.Events.Tests;

/// <summary>
/// deploy/kubernetes passes the Kubernetes API's schemas and KEDA's (tests/kubernetes/validate.mjs: kubernetes-models and
/// @kubernetes-models/keda, with no unknown field), says what the code expects (the queues KEDA watches, the health
/// endpoints, Inference's stable instance ids, a GPU trainer on GPU nodes), and manifests broken on purpose fail.
/// </summary>
[Category("Node")]
public sealed class KubernetesManifestTests
{
    static readonly NodeProject Validator = new(Path.Combine(AsyncApiTests.Repository(), "tests", "kubernetes"));
    static readonly string Manifests = Path.Combine(AsyncApiTests.Repository(), "deploy", "kubernetes");
    static readonly string[] Workers = ["ingest", "training", "registry", "inference", "monitor"];

    static JsonElement Summary(string output)
    {
        var line = output.Split('\n').Single(l => l.StartsWith("SUMMARY ", StringComparison.Ordinal));
        return JsonDocument.Parse(line["SUMMARY ".Length..]).RootElement;
    }

    [Test]
    public async Task The_manifests_are_valid_and_match_the_code()
    {
        var (exit, output) = await Validator.NodeAsync("validate.mjs", Manifests);
        Assert.That(exit, Is.EqualTo(0), output);
        Assert.That(output, Does.Contain("14 document(s), 0 error(s)"));
        var summary = Summary(output);
        var workloads = summary.GetProperty("workloads");
        var scaled = summary.GetProperty("scaledObjects");

        Assert.Multiple(() =>
        {
            foreach (var worker in Workers)
            {
                Assert.That(workloads.TryGetProperty(worker, out var w), Is.True, $"a workload for {worker}");
                Assert.That(w.GetProperty("image").GetString(), Is.EqualTo($"neuraltrade/{worker}"));
                var env = w.GetProperty("env").EnumerateArray().Select(e => e.GetString()).ToList();
                Assert.That(env, Is.SupersetOf(new[] { "RABBITMQ_URL", "RABBITMQ_CA_FILE", "REDIS_URL", "REDIS_CA_FILE", "MLFLOW_TRACKING_URI",
                    "MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD", "RABBITMQ_CLUSTER_NODES", "Redis__WaitReplicas" }), worker);
            }

            var inference = workloads.GetProperty("inference");
            Assert.That(inference.GetProperty("kind").GetString(), Is.EqualTo("StatefulSet"), "Inference has stable replica names");
            Assert.That(inference.GetProperty("instanceIdFrom").GetString(), Is.EqualTo("metadata.name"),
                "NEURALTRADE_INSTANCE_ID is the pod's stable name, so each replica keeps its swap queue");
            var gpu = workloads.GetProperty("training-cuda");
            Assert.That(gpu.GetProperty("gpu").GetBoolean(), Is.True);
            Assert.That(gpu.GetProperty("nodeSelector").GetProperty("nvidia.com/gpu.present").GetString(), Is.EqualTo("true"));
            Assert.That(gpu.GetProperty("image").GetString(), Is.EqualTo("neuraltrade/training-cuda"));

            Assert.That(scaled.GetProperty("inference").GetProperty("target").GetString(), Is.EqualTo("StatefulSet/inference"));
            Assert.That(Queues(scaled, "inference"), Is.EquivalentTo(new[] { PredictionRequestedConsumer.QueueName, DataIngestedConsumer.QueueName }));
            // Training acknowledges training.requested once it is a job in Redis: the depth that counts is the pending list.
            var pending = new RedisKeys(new RedisOptions().KeyPrefix).For("training", "pending").ToString();
            Assert.That(scaled.GetProperty("training").GetProperty("target").GetString(), Is.EqualTo("Deployment/training"));
            Assert.That(Lists(scaled, "training"), Is.EqualTo(new[] { pending }));
            Assert.That(Lists(scaled, "training-cuda"), Is.EqualTo(new[] { pending }));
            Assert.That(scaled.GetProperty("inference").GetProperty("min").GetInt32(), Is.GreaterThanOrEqualTo(2), "two Inference replicas at least");
        });
    }

    static IEnumerable<string?> Queues(JsonElement scaled, string name) =>
        scaled.GetProperty(name).GetProperty("queues").EnumerateArray().Select(q => q.GetString());

    static IEnumerable<string?> Lists(JsonElement scaled, string name) =>
        scaled.GetProperty(name).GetProperty("lists").EnumerateArray().Select(q => q.GetString());

    static IEnumerable<TestCaseData> Breakages()
    {
        yield return new TestCaseData("ingest.yaml", "  replicas: 2\n", "  replica: 2\n", "/spec: unknown field \"replica\"")
            .SetName("A misspelt field");
        yield return new TestCaseData("monitor.yaml", "periodSeconds: 10", "periodSeconds: ten", "livenessProbe/periodSeconds must be integer")
            .SetName("A probe period that is not a number");
        yield return new TestCaseData("keda.yaml", "  minReplicaCount: 2\n", "  minReplicaCount: two\n", "/spec/minReplicaCount must be integer")
            .SetName("A replica count that is not a number");
        yield return new TestCaseData("keda.yaml", "        queueName: inference\n", "        queuName: inference\n",
            "\"queuName\" is not a parameter of KEDA's rabbitmq scaler").SetName("A misspelt scaler parameter");
        yield return new TestCaseData("keda.yaml", "    name: inference\n  minReplicaCount", "    name: inferrence\n  minReplicaCount",
            "scales StatefulSet/inferrence, which these manifests do not define").SetName("A ScaledObject of a workload that does not exist");
        yield return new TestCaseData("ingest.yaml", "path: /health/ready", "path: /healthz", "readinessProbe is not an HTTP GET of /health/ready")
            .SetName("A readiness probe off the health endpoint");
        yield return new TestCaseData("registry.yaml", "@$(RABBITMQ_HOST)", "@$(RABBIT_HOST)", "refers to $(RABBIT_HOST), which is not defined before it")
            .SetName("A variable reference that does not resolve");
        yield return new TestCaseData("training-cuda.yaml", "      nodeSelector:\n        nvidia.com/gpu.present: \"true\"\n", "",
            "asks for nvidia.com/gpu without a nodeSelector for GPU nodes").SetName("A GPU trainer without a GPU node selector");
        yield return new TestCaseData("inference.yaml", "runAsNonRoot: true", "runAsNonRoot: false", "does not set securityContext.runAsNonRoot: true")
            .SetName("A pod that may run as root");
        yield return new TestCaseData("monitor.yaml", "            periodSeconds: 10\n", "            periodSecond: 10\n",
            "livenessProbe: unknown field \"periodSecond\"").SetName("A misspelt field deep in a container");
        yield return new TestCaseData("ingest.yaml", "capabilities: { drop: [ALL] }", "capabilities: { drop: [NET_RAW] }", "does not drop ALL capabilities")
            .SetName("A container that keeps capabilities");
        yield return new TestCaseData("keda.yaml", "        listName: nt:training:pending\n        listLength: \"1\"\n        databaseIndex",
            "        listName: nt:training:pending\n        databaseIndex", "/metadata: no listLength").SetName("A Redis scaler without its target");
        yield return new TestCaseData("keda.yaml", "        name: neuraltrade-redis\n---", "        name: neuraltrade-redys\n---",
            "authenticationRef names neuraltrade-redys, which these manifests do not define").SetName("A scaler whose authentication does not exist");
    }

    [TestCaseSource(nameof(Breakages))]
    public async Task A_broken_manifest_fails_validation(string file, string from, string to, string expected)
    {
        var directory = Directory.CreateTempSubdirectory("neuraltrade-kubernetes-");
        try
        {
            foreach (var source in Directory.GetFiles(Manifests))
                File.Copy(source, Path.Combine(directory.FullName, Path.GetFileName(source)));
            var path = Path.Combine(directory.FullName, file);
            var text = await File.ReadAllTextAsync(path);
            Assert.That(text, Does.Contain(from), $"{file} no longer holds what this case breaks");
            await File.WriteAllTextAsync(path, text.Replace(from, to, StringComparison.Ordinal));

            var (exit, output) = await Validator.NodeAsync("validate.mjs", directory.FullName);

            Assert.That(exit, Is.EqualTo(1), output);
            Assert.That(output, Does.Contain(expected).And.Contain(": error "), output);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Test]
    public async Task A_manifest_left_out_of_the_kustomization_fails_validation()
    {
        var directory = Directory.CreateTempSubdirectory("neuraltrade-kubernetes-");
        try
        {
            foreach (var source in Directory.GetFiles(Manifests))
                File.Copy(source, Path.Combine(directory.FullName, Path.GetFileName(source)));
            await File.WriteAllTextAsync(Path.Combine(directory.FullName, "extra.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata: { name: extra }\n");

            var (exit, output) = await Validator.NodeAsync("validate.mjs", directory.FullName);

            Assert.That(exit, Is.EqualTo(1), output);
            Assert.That(output, Does.Contain("kustomization.yaml: error does not list extra.yaml"));
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }
}
