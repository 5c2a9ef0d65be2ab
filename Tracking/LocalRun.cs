using System.Text.Json;
using System.Text.Json.Nodes;

namespace NeuralTrade.Events.Tracking;

/// <summary>
/// The local run format: <c>{dir}/{experiment}/{runId}/run.json</c> (run id, name, status, times, tags, params,
/// the MLflow run it mirrors), <c>metrics.jsonl</c> (one <c>{key, value, step, timestamp}</c> per line), <c>inputs.json</c>
/// (the datasets it used) and <c>artifacts/</c>. Writes replace run.json atomically.
/// </summary>
internal sealed class LocalRun
{
    readonly Lock _gate = new();
    readonly JsonObject _run;

    LocalRun(string directory, string experiment, string runId, JsonObject run)
    {
        Directory = directory;
        Experiment = experiment;
        RunId = runId;
        _run = run;
    }

    public string Directory { get; }
    public string Experiment { get; }
    public string RunId { get; }

    public static LocalRun Create(string root, string experiment, string runId, string runName, DateTimeOffset start,
        IReadOnlyDictionary<string, string> tags, JsonObject? mlflow)
    {
        var directory = Path.GetFullPath(Path.Combine(root, Safe(experiment), Safe(runId)));
        System.IO.Directory.CreateDirectory(Path.Combine(directory, "artifacts"));
        var run = new JsonObject
        {
            ["runId"] = runId,
            ["experiment"] = experiment,
            ["runName"] = runName,
            ["status"] = "RUNNING",
            ["startTime"] = start.ToString("O"),
            ["tags"] = new JsonObject(tags.Select(t => KeyValuePair.Create(t.Key, (JsonNode?)t.Value))),
            ["params"] = new JsonObject(),
            ["mlflow"] = mlflow,
        };
        var local = new LocalRun(directory, experiment, runId, run);
        local.Save();
        return local;
    }

    /// <summary>
    /// The local run <paramref name="runId"/> of <paramref name="experiment"/> under <paramref name="root"/>, or null where
    /// there is none (another machine's run, or one only MLflow holds). The names are made safe as <see cref="Create"/> makes them.
    /// </summary>
    public static LocalRun? Open(string root, string experiment, string runId)
    {
        var directory = Path.GetFullPath(Path.Combine(root, Safe(experiment), Safe(runId)));
        var path = Path.Combine(directory, "run.json");
        if (!File.Exists(path))
            return null;
        return JsonNode.Parse(File.ReadAllText(path)) is JsonObject run ? new LocalRun(directory, experiment, runId, run) : null;
    }

    public string Status
    {
        get
        {
            lock (_gate)
                return _run["status"] is JsonValue v && v.TryGetValue<string>(out var status) ? status : "";
        }
    }

    /// <summary>The run's tag <paramref name="key"/> as stored now, or null.</summary>
    public string? Tag(string key)
    {
        lock (_gate)
            return _run["tags"]?[key] is JsonValue v && v.TryGetValue<string>(out var tag) ? tag : null;
    }

    public void SetAll(string section, IReadOnlyDictionary<string, string> values) => Update(run =>
    {
        if (run[section] is not JsonObject target)
            run[section] = target = new JsonObject();
        foreach (var (k, v) in values)
            target[k] = v;
    });

    public void AppendMetrics(IReadOnlyList<RunMetric> metrics, long timestamp)
    {
        lock (_gate)
        {
            File.AppendAllLines(Path.Combine(Directory, "metrics.jsonl"), metrics.Select(m => JsonSerializer.Serialize(new
            {
                key = m.Key, value = double.IsFinite(m.Value) ? m.Value : (double?)null, step = m.Step, timestamp,
            })));
        }
    }

    /// <summary>Adds dataset inputs to <c>inputs.json</c> (an array of <c>{dataset:{name, digest, sourceType, source, schema, profile}, tags}</c>).</summary>
    public void AppendInputs(IReadOnlyList<MlflowDatasetInput> inputs)
    {
        lock (_gate)
        {
            var path = Path.Combine(Directory, "inputs.json");
            var all = File.Exists(path) ? JsonNode.Parse(File.ReadAllText(path))!.AsArray() : [];
            foreach (var input in inputs)
                all.Add(JsonSerializer.SerializeToNode(input, JsonSerializerOptions.Web));
            var temp = $"{path}.{Guid.NewGuid():N}.tmp";
            File.WriteAllText(temp, all.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
            File.Move(temp, path, overwrite: true);
        }
    }

    public string WriteArtifact(string relativePath, byte[] content)
    {
        var path = Path.GetFullPath(Path.Combine(Directory, "artifacts", relativePath));
        if (!path.StartsWith(Path.Combine(Directory, "artifacts"), StringComparison.Ordinal))
            throw new ArgumentException($"artifact path '{relativePath}' leaves the run directory", nameof(relativePath));
        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temp = path + ".tmp";
        File.WriteAllBytes(temp, content);
        File.Move(temp, path, overwrite: true);
        return path;
    }

    public void End(string status) => Update(run =>
    {
        run["status"] = status;
        run["endTime"] = DateTimeOffset.UtcNow.ToString("O");
    });

    /// <summary>
    /// Changes run.json as it is on disk now, not as this instance last saw it: another process (the Registry recording
    /// its decision, a later attempt ending an abandoned run) may have written it since. The read, change and atomic
    /// replace happen under an exclusive lock file, so two writers never lose each other's change.
    /// </summary>
    void Update(Action<JsonObject> change)
    {
        lock (_gate)
        {
            var path = Path.Combine(Directory, "run.json");
            using var _ = AcquireFileLock(path + ".lock");
            var current = ReadOnDisk(path) ?? _run.DeepClone().AsObject(); // a missing or damaged file is rewritten from this copy
            change(current);
            _run.Clear();
            foreach (var (k, v) in current.ToList())
            {
                current.Remove(k);
                _run[k] = v;
            }

            Save();
        }
    }

    static JsonObject? ReadOnDisk(string path)
    {
        try
        {
            return File.Exists(path) ? JsonNode.Parse(File.ReadAllText(path)) as JsonObject : null;
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }

    static FileStream AcquireFileLock(string path)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1);
            }
            catch (IOException) when (attempt < 200)
            {
                Thread.Sleep(10);
            }
        }
    }

    void Save()
    {
        var path = Path.Combine(Directory, "run.json");
        var temp = $"{path}.{Guid.NewGuid():N}.tmp";
        File.WriteAllText(temp, _run.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        File.Move(temp, path, overwrite: true);
    }

    static string Safe(string name) => string.Concat(name.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_'));
}
