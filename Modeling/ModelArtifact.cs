using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Json;
using NeuralTrade.Events.Contracts;
using TorchSharp;
using static TorchSharp.torch;

namespace NeuralTrade.Events.Modeling;

/// <summary>
/// The model artifact: one zip file holding <c>manifest.json</c> and <c>weights.bin</c> (TorchSharp state,
/// saved on CPU). Entries carry a fixed timestamp so that the same model always gives the same bytes.
/// </summary>
public static class ModelArtifact
{
    public const string FileExtension = ".ntm";
    static readonly DateTimeOffset EntryTime = new(2000, 1, 1, 0, 0, 0, TimeSpan.Zero);
    static readonly JsonSerializerOptions Json = new(ContractJson.Options) { WriteIndented = true };

    public static byte[] Write(ArtifactManifest manifest, SignalPredictor model)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        ArgumentNullException.ThrowIfNull(model);
        using var output = new MemoryStream();
        using (var zip = new ZipArchive(output, ZipArchiveMode.Create, leaveOpen: true))
        {
            var entry = zip.CreateEntry("manifest.json", CompressionLevel.Optimal);
            entry.LastWriteTime = EntryTime;
            using (var stream = entry.Open())
                JsonSerializer.Serialize(stream, manifest, Json);

            var weights = zip.CreateEntry("weights.bin", CompressionLevel.Optimal);
            weights.LastWriteTime = EntryTime;
            using var weightStream = weights.Open();
            using var buffer = new MemoryStream();
            var device = model.parameters().First().device;
            model.cpu();
            using (var writer = new BinaryWriter(buffer, System.Text.Encoding.UTF8, leaveOpen: true))
                model.save(writer);
            model.to(device);
            buffer.Position = 0;
            buffer.CopyTo(weightStream);
        }

        return output.ToArray();
    }

    public static string Sha256(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    /// <summary>Reads an artifact, refusing it when <paramref name="expectedSha256"/> is given and does not match.</summary>
    public static LoadedModel Read(byte[] bytes, string? expectedSha256, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        var actual = Sha256(bytes);
        if (expectedSha256 is not null && !string.Equals(actual, expectedSha256, StringComparison.OrdinalIgnoreCase))
            throw new ArtifactIntegrityException($"artifact digest is {actual}, expected {expectedSha256}: refusing it");
        return Load(bytes, actual, device);
    }

    /// <summary>Reads an artifact that <see cref="ArtifactVerifier"/> checked.</summary>
    public static LoadedModel Read(VerifiedArtifact artifact, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(artifact);
        return Load(artifact.Bytes, artifact.Sha256, device);
    }

    static LoadedModel Load(byte[] bytes, string sha256, Device? device)
    {
        using var zip = new ZipArchive(new MemoryStream(bytes), ZipArchiveMode.Read);
        var manifest = ReadManifest(zip);
        var weightsEntry = zip.GetEntry("weights.bin") ?? throw new ArtifactIntegrityException("artifact has no weights.bin");
        // Decompressed under the bound the declared dimensions allow, before the network is allocated.
        using var buffer = ReadEntry(weightsEntry, ArtifactLimits.MaxWeightsBytes(manifest));
        var model = new SignalPredictor(manifest.FeatureNames.Count, manifest.HiddenSize, manifest.NumLayers, manifest.Dropout);
        try
        {
            using (var reader = new BinaryReader(buffer))
                model.load(reader);
            model.to(device ?? CPU);
            model.eval();
            return new LoadedModel(manifest, model, sha256);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>Reads only the manifest of an artifact that <see cref="ArtifactVerifier"/> checked.</summary>
    public static ArtifactManifest ReadManifest(VerifiedArtifact artifact)
    {
        ArgumentNullException.ThrowIfNull(artifact);
        using var zip = new ZipArchive(new MemoryStream(artifact.Bytes), ZipArchiveMode.Read);
        return ReadManifest(zip);
    }

    static ArtifactManifest ReadManifest(ZipArchive zip)
    {
        var manifestEntry = zip.GetEntry("manifest.json") ?? throw new ArtifactIntegrityException("artifact has no manifest.json");
        ArtifactManifest manifest;
        using (var stream = ReadEntry(manifestEntry, ArtifactLimits.MaxManifestBytes))
        {
            try
            {
                manifest = JsonSerializer.Deserialize<ArtifactManifest>(stream, Json) ?? throw new ArtifactIntegrityException("empty manifest");
            }
            catch (JsonException e)
            {
                throw new ArtifactIntegrityException($"manifest.json is not a manifest: {e.Message}");
            }
        }

        if (manifest.FormatVersion != ArtifactManifest.CurrentFormat)
            throw new ArtifactIntegrityException($"artifact format {manifest.FormatVersion} is not supported (this build reads {ArtifactManifest.CurrentFormat})");
        if (ArtifactLimits.DimensionProblems(manifest) is { Count: > 0 } problems)
            throw new ArtifactIntegrityException("manifest out of bounds: " + string.Join("; ", problems));
        return manifest;
    }

    /// <summary>An entry decompressed into memory, refused as soon as it passes <paramref name="limit"/> bytes (whatever its header claims).</summary>
    static MemoryStream ReadEntry(ZipArchiveEntry entry, long limit)
    {
        if (entry.Length > limit)
            throw new ArtifactIntegrityException($"{entry.FullName} declares {entry.Length:N0} bytes decompressed; at most {limit:N0} are read");
        var buffer = new MemoryStream();
        using (var stream = entry.Open())
        {
            var chunk = new byte[81920];
            int read;
            while ((read = stream.Read(chunk, 0, chunk.Length)) > 0)
            {
                if (buffer.Length + read > limit)
                {
                    buffer.Dispose();
                    throw new ArtifactIntegrityException($"{entry.FullName} decompresses to more than {limit:N0} bytes; refused");
                }

                buffer.Write(chunk, 0, read);
            }
        }

        buffer.Position = 0;
        return buffer;
    }

    /// <summary>Baselines of the raw features over the rows <paramref name="first"/>..<paramref name="last"/>.</summary>
    public static IReadOnlyList<FeatureBaseline> FeatureBaselines(FeatureMatrix features, FeatureSpec spec, int first, int last)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(spec);
        first = Math.Max(first, features.FirstValid);
        var result = new List<FeatureBaseline>(spec.Count);
        for (var c = 0; c < spec.Count; c++)
        {
            var values = new float[last - first + 1];
            for (var r = first; r <= last; r++)
                values[r - first] = features[r, c];
            result.Add(new FeatureBaseline(spec.Names[c], Quantiles(values, 10), EvenSample(values, 500)));
        }

        return result;
    }

    public static PredictionBaseline PredictionBaselineOf(ReadOnlySpan<float> probabilities)
    {
        var k = SignalClasses.Count;
        var n = probabilities.Length / k;
        var shares = new double[k];
        var confidence = new float[n];
        for (var i = 0; i < n; i++)
        {
            var row = probabilities.Slice(i * k, k);
            var argmax = SignalClasses.Predicted(row);

            shares[argmax] += 1.0 / n;
            confidence[i] = row[argmax];
        }

        return new PredictionBaseline(shares, Quantiles(confidence, 10), EvenSample(confidence, 500));
    }

    /// <summary>bins + 1 edges of equal-count bins (linear interpolation between order statistics).</summary>
    public static double[] Quantiles(float[] values, int bins)
    {
        ArgumentNullException.ThrowIfNull(values);
        var sorted = values.Where(float.IsFinite).Select(v => (double)v).Order().ToArray();
        var edges = new double[bins + 1];
        if (sorted.Length == 0)
            return edges;
        for (var b = 0; b <= bins; b++)
        {
            var position = (sorted.Length - 1) * (double)b / bins;
            var lo = (int)Math.Floor(position);
            var hi = Math.Min(lo + 1, sorted.Length - 1);
            edges[b] = sorted[lo] + (sorted[hi] - sorted[lo]) * (position - lo);
        }

        return edges;
    }

    static float[] EvenSample(float[] values, int count)
    {
        if (values.Length <= count)
            return values.ToArray();
        return Enumerable.Range(0, count).Select(i => values[(int)((long)i * values.Length / count)]).ToArray();
    }
}
