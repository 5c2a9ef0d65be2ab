using System.IO.Compression;
using System.Text;
using System.Text.Json.Nodes;
using NeuralTrade.Events.Contracts;
using NeuralTrade.Events.MarketData;
using NeuralTrade.Events.Messaging;
using NeuralTrade.Events.Modeling;
using NeuralTrade.Events.Testing;
using NeuralTrade.Events.Tracking;

namespace NeuralTrade.Events.Tests;

/// <summary>
/// The model's identity and the artifact's bounds, as a hostile publisher would test them: names that cannot collide,
/// a model bound to one series, manifests and entries bounded before anything is allocated, artifacts read only from
/// the run store and the MLflow artifact proxy, replay keys scoped to the publisher.
/// </summary>
[Category(TestCategories.Numerics)]
public sealed class ModelIdentityTests
{
    [Test]
    public void Series_that_used_to_share_a_model_name_get_names_of_their_own()
    {
        string[] symbols = ["BTC/USDT", "BTC-USDT", "BTC.USDT", "BTC_USDT", "BTCUSDT", "BTC/USD", "BTC/USDT-", "B/TC-USDT"];
        var names = symbols.Select(s => ModelNames.For(new SeriesKey("binance", s, "1m"))).ToList();

        Assert.That(names.Distinct().Count(), Is.EqualTo(symbols.Length), string.Join(", ", names));
        Assert.That(names[0], Is.EqualTo("signal-binance-btc_susdt-1m"));
        Assert.That(ModelNames.For(new SeriesKey("a-b", "C", "1m")), Is.Not.EqualTo(ModelNames.For(new SeriesKey("a", "B-C", "1m"))));
    }

    [Test]
    public void A_model_name_reads_back_as_exactly_its_series()
    {
        var random = new Random(TestSeeds.Of(7));
        const string exchangeChars = "abcxyz019_.-", symbolChars = "ABCXYZ019_.-";
        for (var i = 0; i < 2_000; i++)
        {
            var exchange = "e" + Pick(random, exchangeChars, random.Next(0, 8));
            var symbol = "S" + Pick(random, symbolChars, random.Next(0, 8)) + (random.Next(2) == 0 ? "" : "/Q" + Pick(random, symbolChars, random.Next(0, 5)));
            var series = new SeriesKey(exchange, symbol, Intervals.Names.ElementAt(random.Next(Intervals.Names.Count())));
            Assert.That(ModelNames.SeriesOf(ModelNames.For(series)), Is.EqualTo(series), series.ToString());
        }

        Assert.That(ModelNames.SeriesOf("signal-binance-btc-usdt-1m"), Is.Null, "four parts: not a name the fleet makes");
        Assert.That(ModelNames.SeriesOf("signal-binance-btc_x-1m"), Is.Null, "unknown escape");
        Assert.That(ModelNames.SeriesOf("other-binance-btc-1m"), Is.Null);
    }

    static string Pick(Random random, string alphabet, int length) =>
        new([.. Enumerable.Range(0, length).Select(_ => alphabet[random.Next(alphabet.Length)])]);

    [Test]
    public void An_artifact_is_bound_to_the_series_it_was_trained_on()
    {
        var manifest = TrainedModels.Outcome.Manifest;
        Assert.DoesNotThrow(() => ArtifactVerifier.VerifyBinding(manifest, TrainedModels.ModelName));

        var other = ModelNames.For(new SeriesKey("sim", "PLANT-USD", "1m"));
        var error = Assert.Throws<ArtifactIntegrityException>(() => ArtifactVerifier.VerifyBinding(manifest, other));
        Assert.That(error!.Message, Does.Contain("holds model " + TrainedModels.ModelName));

        var renamed = manifest with { ModelName = other };
        error = Assert.Throws<ArtifactIntegrityException>(() => ArtifactVerifier.VerifyBinding(renamed, other));
        Assert.That(error!.Message, Does.Contain("was trained on sim:PLANT/USD:1m").And.Contain("serves sim:PLANT-USD:1m only"));
    }

    [Test]
    public void An_artifact_without_a_digest_is_refused()
    {
        var bytes = TrainedModels.Outcome.Artifact;
        var error = Assert.Throws<ArtifactIntegrityException>(() => ArtifactVerifier.Verify(bytes, new ArtifactRef("file:///x.ntm", "", bytes.LongLength)));
        Assert.That(error!.Message, Does.Contain("without a SHA-256"));
    }

    [TestCase("hiddenSize", 4096, "hiddenSize 4096 must be an even number from 2 to 1024")]
    [TestCase("numLayers", 64, "numLayers 64 must be 1 to 8")]
    [TestCase("windowSize", 100000, "windowSize 100000 must be 8 to 512")]
    public void A_manifest_declaring_dimensions_out_of_bounds_is_refused_before_the_network_is_built(string field, int value, string reason)
    {
        var bytes = Rewrite(TrainedModels.Outcome.Artifact, manifest: m => m[field] = value);
        var verified = ArtifactVerifier.Verify(bytes, new ArtifactRef("file:///x.ntm", ModelArtifact.Sha256(bytes), bytes.LongLength));

        var error = Assert.Throws<ArtifactIntegrityException>(() => ModelArtifact.Read(verified).Dispose());
        Assert.That(error!.Message, Does.Contain("manifest out of bounds").And.Contain(reason));
    }

    [Test]
    public void Weights_that_decompress_past_the_bound_of_the_declared_network_are_refused()
    {
        var bomb = new byte[64 << 20]; // 64 MiB of zeros: about 64 KiB compressed
        var bytes = Rewrite(TrainedModels.Outcome.Artifact, weights: bomb);
        Assert.That(bytes.Length, Is.LessThan(1 << 20), "small on the wire");
        var verified = ArtifactVerifier.Verify(bytes, new ArtifactRef("file:///x.ntm", ModelArtifact.Sha256(bytes), bytes.LongLength));

        var error = Assert.Throws<ArtifactIntegrityException>(() => ModelArtifact.Read(verified).Dispose());
        Assert.That(error!.Message, Does.Contain("weights.bin").And.Contain("at most").Or.Contain("more than"));
    }

    [Test]
    public async Task Artifacts_are_read_from_the_run_store_and_the_mlflow_proxy_only()
    {
        var root = Path.Combine(Path.GetTempPath(), "nt-reader-" + Guid.NewGuid().ToString("N")[..8]);
        var outside = root + "-outside";
        Directory.CreateDirectory(root);
        Directory.CreateDirectory(outside);
        try
        {
            var inside = Path.Combine(root, "run.ntm");
            await File.WriteAllBytesAsync(inside, [1, 2, 3]);
            var secret = Path.Combine(outside, "secret");
            await File.WriteAllBytesAsync(secret, [4]);
            File.CreateSymbolicLink(Path.Combine(root, "link.ntm"), secret);
            var reader = new ArtifactReader(root, mlflow: null, maxBytes: 2);

            Assert.That(await Refusal(reader, new Uri(inside).AbsoluteUri), Does.Contain("at most 2"), "size cap");
            var bigger = new ArtifactReader(root, mlflow: null, maxBytes: 100);
            Assert.That(await bigger.ReadAsync(new Uri(inside).AbsoluteUri), Is.EqualTo(new byte[] { 1, 2, 3 }));
            Assert.That(await Refusal(bigger, new Uri(secret).AbsoluteUri), Does.Contain("outside the run store"));
            Assert.That(await Refusal(bigger, new Uri(Path.Combine(root, "..", Path.GetFileName(outside), "secret")).AbsoluteUri),
                Does.Contain("outside the run store"));
            Assert.That(await Refusal(bigger, new Uri(Path.Combine(root, "link.ntm")).AbsoluteUri), Does.Contain("links outside the run store"));
            Assert.That(await Refusal(bigger, "file:///etc/passwd"), Does.Contain("outside the run store"));
            Assert.That(await Refusal(bigger, "http://169.254.169.254/latest/meta-data/"), Does.Contain("never read from other paths or URLs"));
            Assert.That(await Refusal(bigger, "https://user:pw@example.com/model.ntm"), Does.Contain("https://***@example.com").And.Not.Contain("pw"));
            Assert.That(await Refusal(bigger, "/etc/passwd"), Does.Contain("never read"));
            Assert.That(await Refusal(bigger, "mlflow-artifacts:/1/abc/artifacts/model"), Does.Contain("no MLflow tracking server"));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
            Directory.Delete(outside, recursive: true);
        }
    }

    static async Task<string> Refusal(ArtifactReader reader, string uri)
    {
        try
        {
            await reader.ReadAsync(uri);
        }
        catch (ArtifactLocationException e)
        {
            return e.Message;
        }

        Assert.Fail($"{uri} was read");
        return "";
    }

    [Test]
    public void Replay_keys_are_scoped_to_the_publisher_and_the_body()
    {
        var body = Encoding.UTF8.GetBytes("""{"candles":[]}""");
        Assert.That(MessageKeys.Of("feed-a", "m1", body), Is.EqualTo(MessageKeys.Of("feed-a", "m1", body.ToArray())), "a redelivery");
        Assert.That(MessageKeys.Of("feed-a", "m1", body), Is.Not.EqualTo(MessageKeys.Of("feed-b", "m1", body)), "another user reusing the id");
        Assert.That(MessageKeys.Of("feed-a", "m1", body), Is.Not.EqualTo(MessageKeys.Of("feed-a", "m1", [.. body, (byte)' '])), "another body, same id");
        Assert.That(MessageKeys.Of("ab", "c", body), Is.Not.EqualTo(MessageKeys.Of("a", "bc", body)), "length-prefixed parts");
    }

    [Test]
    public void The_training_budget_grows_with_every_dimension_of_the_recipe()
    {
        var defaults = new Hyperparameters();
        var cost = TrainingBudget.EstimatedFlops(defaults, 50_000);
        Assert.That(cost, Is.InRange(1e14, 2e15), "the default recipe on 50,000 candles");
        Assert.That(TrainingBudget.EstimatedFlops(defaults with { HiddenSize = 1024, NumLayers = 8, WindowSize = 512, Epochs = 1000 }, 50_000),
            Is.GreaterThan(1e4 * cost), "the largest recipe the bounds allow");
        Assert.That(TrainingBudget.EstimatedFlops(defaults, 100_000), Is.EqualTo(2 * cost).Within(1e-9 * cost));
    }

    /// <summary>The artifact with its manifest edited and/or its weights replaced, zipped again.</summary>
    static byte[] Rewrite(byte[] artifact, Action<JsonObject>? manifest = null, byte[]? weights = null)
    {
        using var input = new ZipArchive(new MemoryStream(artifact), ZipArchiveMode.Read);
        using var output = new MemoryStream();
        using (var zip = new ZipArchive(output, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var entry in input.Entries)
            {
                using var source = entry.Open();
                using var buffer = new MemoryStream();
                source.CopyTo(buffer);
                var content = buffer.ToArray();
                if (entry.FullName == "manifest.json" && manifest is not null)
                {
                    var json = JsonNode.Parse(content)!.AsObject();
                    manifest(json);
                    content = Encoding.UTF8.GetBytes(json.ToJsonString());
                }
                else if (entry.FullName == "weights.bin" && weights is not null)
                {
                    content = weights;
                }

                using var target = zip.CreateEntry(entry.FullName, CompressionLevel.SmallestSize).Open();
                target.Write(content);
            }
        }

        return output.ToArray();
    }
}
