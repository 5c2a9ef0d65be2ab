using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using NeuralTrade.Events.Hosting;
using NeuralTrade.Events.Testing;
using NeuralTrade.Events.Tracking;

namespace NeuralTrade.Events.Tests;

/// <summary>The MLflow client, with its production registration (Polly pipeline), against the in-process server.</summary>
public sealed class MlflowClientTests
{
    FakeMlflowServer _server = null!;
    IHost _host = null!;
    MlflowClient _client = null!;

    [SetUp]
    public async Task Start()
    {
        _server = await FakeMlflowServer.StartAsync();
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Tracking:MlflowUri"] = _server.Uri, ["Tracking:TimeoutSeconds"] = "2", ["Tracking:Retries"] = "3",
        });
        builder.AddServiceDefaults("mlflow-tests");
        builder.AddRunTracking();
        _host = builder.Build();
        _client = _host.Services.GetRequiredService<MlflowClient>();
    }

    [TearDown]
    public async Task Stop()
    {
        _host.Dispose();
        await _server.DisposeAsync();
    }

    [Test]
    public async Task Experiment_is_created_once_even_when_asked_twice()
    {
        var first = await _client.GetOrCreateExperimentAsync("signal-x");
        var second = await _client.GetOrCreateExperimentAsync("signal-x");

        Assert.That(second, Is.EqualTo(first));
        Assert.That(await _client.GetExperimentIdByNameAsync("nope"), Is.Null);
        var error = Assert.ThrowsAsync<MlflowException>(() => _client.CreateRunAsync("999", "r", DateTimeOffset.UtcNow, new Dictionary<string, string>()));
        Assert.That((error!.ErrorCode, (int)error.Status), Is.EqualTo(("RESOURCE_DOES_NOT_EXIST", 404)));
    }

    [Test]
    public async Task Dataset_inputs_are_logged_as_mlflow_takes_them_and_oversized_fields_refused_before_sending()
    {
        var run = await _client.CreateRunAsync(await _client.GetOrCreateExperimentAsync("e"), "r", DateTimeOffset.UtcNow, new Dictionary<string, string>());
        var dataset = new MlflowDataset("binance:BTC/USDT:1m", "0123456789abcdef", "neuraltrade_candle_store", """{"series":"binance:BTC/USDT:1m"}""",
            """{"mlflow_colspec":[]}""", """{"num_rows":3}""");
        var context = new Dictionary<string, string> { [MlflowDatasetInput.ContextTag] = "training" };

        await _client.LogInputsAsync(run.RunId, [new MlflowDatasetInput(dataset, context)]);

        var logged = _server.Runs[run.RunId].Inputs.Single();
        Assert.That(logged["dataset"]!["name"]!.GetValue<string>(), Is.EqualTo("binance:BTC/USDT:1m"));
        Assert.That(logged["dataset"]!["digest"]!.GetValue<string>(), Is.EqualTo("0123456789abcdef"));
        Assert.That(logged["dataset"]!["profile"]!.GetValue<string>(), Is.EqualTo("""{"num_rows":3}"""));
        Assert.That(logged["tags"]![0]!["key"]!.GetValue<string>(), Is.EqualTo("mlflow.data.context"));

        var requests = _server.Requests.Count;
        var tooLong = Assert.ThrowsAsync<ArgumentException>(() => _client.LogInputsAsync(run.RunId,
            [new MlflowDatasetInput(dataset with { Digest = new string('a', MlflowDataset.MaxDigestLength + 1) }, context)]));
        Assert.That(tooLong!.Message, Does.Contain("digest").And.Contain("36"));
        Assert.ThrowsAsync<ArgumentException>(() => _client.LogInputsAsync(run.RunId, [new MlflowDatasetInput(dataset with { Source = "" }, context)]));
        Assert.ThrowsAsync<ArgumentException>(() => _client.LogInputsAsync(run.RunId,
            [new MlflowDatasetInput(dataset, new Dictionary<string, string> { ["k"] = new string('v', 501) })]));
        Assert.That(_server.Requests.Count, Is.EqualTo(requests), "nothing MLflow would refuse is sent");
        Assert.That(_server.Runs[run.RunId].Inputs, Has.Count.EqualTo(1));
    }

    [Test]
    public async Task Large_batches_are_split_within_mlflow_limits()
    {
        var run = await _client.CreateRunAsync(await _client.GetOrCreateExperimentAsync("e"), "r", DateTimeOffset.UtcNow, new Dictionary<string, string>());
        var metrics = Enumerable.Range(0, 2_500).Select(i => new MlflowMetric("loss", i, 1_700_000_000_000 + i, i)).ToList();
        var parameters = Enumerable.Range(0, 150).ToDictionary(i => $"p{i}", i => i.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var tags = Enumerable.Range(0, 120).ToDictionary(i => $"t{i}", _ => "v");

        await _client.LogBatchAsync(run.RunId, metrics, parameters, tags);

        var stored = _server.Runs[run.RunId];
        Assert.That(stored.Metrics["loss"], Has.Count.EqualTo(2_500));
        Assert.That((stored.Params.Count, stored.Tags.Count), Is.EqualTo((150, 120)));
        Assert.That(_server.Requests.Where(r => r.Path.EndsWith("log-batch", StringComparison.Ordinal)).Select(r => r.Status), Has.All.EqualTo(200));
    }

    [Test]
    public async Task Changing_a_param_is_refused_as_mlflow_does()
    {
        var run = await _client.CreateRunAsync(await _client.GetOrCreateExperimentAsync("e"), "r", DateTimeOffset.UtcNow, new Dictionary<string, string>());
        await _client.LogBatchAsync(run.RunId, [], new Dictionary<string, string> { ["lr"] = "0.001" }, new Dictionary<string, string>());
        await _client.LogBatchAsync(run.RunId, [], new Dictionary<string, string> { ["lr"] = "0.001" }, new Dictionary<string, string>());

        var error = Assert.ThrowsAsync<MlflowException>(() =>
            _client.LogBatchAsync(run.RunId, [], new Dictionary<string, string> { ["lr"] = "0.01" }, new Dictionary<string, string>()));

        Assert.That(error!.ErrorCode, Is.EqualTo("INVALID_PARAMETER_VALUE"));
        Assert.That(error.Message, Does.Contain("Changing param values is not allowed"));
    }

    [Test]
    public async Task Transient_failures_are_retried_by_the_pipeline()
    {
        _server.FailNext(2);

        var id = await _client.GetOrCreateExperimentAsync("flaky");

        Assert.That(id, Is.Not.Empty);
        Assert.That(_server.Requests.Count(r => r.Status == 503), Is.EqualTo(2));
    }

    [Test]
    public async Task Artifacts_round_trip_through_the_tracking_server_proxy()
    {
        var run = await _client.CreateRunAsync(await _client.GetOrCreateExperimentAsync("e"), "r", DateTimeOffset.UtcNow, new Dictionary<string, string>());
        byte[] content = [1, 2, 3, 250];

        var uri = await _client.UploadArtifactAsync(run.ArtifactUri, "model/model v1.ntm", content);

        Assert.That(uri, Is.EqualTo($"{run.ArtifactUri}/model/model v1.ntm"));
        Assert.That(_server.Artifacts.Keys, Has.Member($"1/{run.RunId}/artifacts/model/model v1.ntm"));
        Assert.That(await _client.DownloadArtifactAsync(uri, maxBytes: 4), Is.EqualTo(content));
        Assert.That(await new ArtifactReader(Path.GetTempPath(), _client, maxBytes: 4).ReadAsync(uri), Is.EqualTo(content));
        var tooBig = Assert.ThrowsAsync<ArtifactLocationException>(() => _client.DownloadArtifactAsync(uri, maxBytes: 3));
        Assert.That(tooBig!.Message, Does.Contain("at most 3").Or.Contain("over 3"));
    }

    [Test]
    public void Artifact_uris_resolve_to_the_proxy_path()
    {
        Assert.That(_client.ArtifactUrl("mlflow-artifacts:/1/abc/artifacts/model.ntm"), Is.EqualTo("mlflow-artifacts/artifacts/1/abc/artifacts/model.ntm"));
        Assert.That(_client.ArtifactUrl("mlflow-artifacts://mlflow:5000/1/abc/artifacts/m"), Is.EqualTo("mlflow-artifacts/artifacts/1/abc/artifacts/m"));
        Assert.Throws<ArgumentException>(() => _client.ArtifactUrl("s3://bucket/key"));
        Assert.Throws<ArgumentException>(() => _client.ArtifactUrl("http://169.254.169.254/latest/meta-data/"), "no URL but the proxy's");
    }

    [TestCase("MLFLOW_TRACKING_USERNAME", "Basic bmVvOnMzY3JldA==")] // neo:s3cret
    [TestCase("MLFLOW_TRACKING_TOKEN", "Bearer t0ken")]
    public async Task Credentials_from_the_environment_are_sent_as_mlflow_clients_send_them(string variable, string header)
    {
        _server.RequiredAuthorization = header;
        Assert.ThrowsAsync<MlflowException>(() => _client.GetOrCreateExperimentAsync("no-credentials"), "401 without them");

        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Tracking:MlflowUri"] = _server.Uri,
            ["Tracking:MlflowUsername"] = variable == "MLFLOW_TRACKING_USERNAME" ? "neo" : null,
            ["Tracking:MlflowPassword"] = variable == "MLFLOW_TRACKING_USERNAME" ? "s3cret" : null,
            ["Tracking:MlflowToken"] = variable == "MLFLOW_TRACKING_TOKEN" ? "t0ken" : null,
        });
        builder.AddServiceDefaults("mlflow-auth-tests");
        builder.AddRunTracking();
        using var host = builder.Build();
        var client = host.Services.GetRequiredService<MlflowClient>();

        Assert.That(await client.GetOrCreateExperimentAsync("with-credentials"), Is.Not.Empty);
    }
}
