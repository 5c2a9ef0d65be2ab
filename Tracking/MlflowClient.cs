using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace NeuralTrade.Events.Tracking;

/// <summary>
/// The parts of MLflow's REST API (paths under <c>/api/2.0</c>, stable across MLflow 2.x and 3.x) that the fleet uses:
/// experiments, runs, batched logging within the documented limits, the proxied artifact store, and the model
/// registry. JSON keys are snake_case; unknown fields are ignored. Outbound resilience (timeouts, retries on
/// transient errors) comes from the HttpClient's Polly pipeline, registered in <see cref="TrackingRegistration"/>.
/// </summary>
public sealed class MlflowClient(HttpClient http)
{
    // MLflow's limits for one runs/log-batch request (mlflow/utils/validation.py).
    public const int MaxMetricsPerBatch = 1000, MaxParamsPerBatch = 100, MaxTagsPerBatch = 100, MaxEntitiesPerBatch = 1000;
    public const int MaxParamValueLength = 6000, MaxTagValueLength = 8000;
    /// <summary>Datasets per <c>runs/log-inputs</c> request (MLflow's MAX_DATASETS_PER_BATCH).</summary>
    public const int MaxDatasetsPerRequest = 1000;

    static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        NumberHandling = JsonNumberHandling.AllowReadingFromString,
    };

    public Uri? BaseAddress => http.BaseAddress;

    public async Task<string?> GetExperimentIdByNameAsync(string name, CancellationToken cancellationToken = default)
    {
        try
        {
            var body = await GetAsync($"mlflow/experiments/get-by-name?experiment_name={Uri.EscapeDataString(name)}", cancellationToken);
            return body.GetProperty("experiment").GetProperty("experiment_id").GetString();
        }
        catch (MlflowException e) when (e.ErrorCode == "RESOURCE_DOES_NOT_EXIST")
        {
            return null;
        }
    }

    /// <summary>The experiment's id, creating it if needed; safe when several workers race to create it.</summary>
    public async Task<string> GetOrCreateExperimentAsync(string name, CancellationToken cancellationToken = default)
    {
        if (await GetExperimentIdByNameAsync(name, cancellationToken) is { } id)
            return id;
        try
        {
            var body = await PostAsync("mlflow/experiments/create", new { name }, cancellationToken);
            return body.GetProperty("experiment_id").GetString()!;
        }
        catch (MlflowException e) when (e.ErrorCode == "RESOURCE_ALREADY_EXISTS")
        {
            return await GetExperimentIdByNameAsync(name, cancellationToken)
                ?? throw new InvalidOperationException($"MLflow says experiment '{name}' exists but cannot find it.", e);
        }
    }

    public async Task<MlflowRun> CreateRunAsync(string experimentId, string runName, DateTimeOffset start,
        IReadOnlyDictionary<string, string> tags, CancellationToken cancellationToken = default)
    {
        var body = await PostAsync("mlflow/runs/create", new
        {
            experiment_id = experimentId,
            run_name = runName,
            start_time = start.ToUnixTimeMilliseconds(),
            tags = tags.Select(t => new { key = t.Key, value = Truncate(t.Value, MaxTagValueLength) }).ToArray(),
        }, cancellationToken);
        return ReadRun(body.GetProperty("run").GetProperty("info"));
    }

    public async Task<MlflowRun> GetRunAsync(string runId, CancellationToken cancellationToken = default)
    {
        var body = await GetAsync($"mlflow/runs/get?run_id={Uri.EscapeDataString(runId)}", cancellationToken);
        return ReadRun(body.GetProperty("run").GetProperty("info"));
    }

    /// <summary>Logs everything, split into requests that respect MLflow's per-request limits.</summary>
    public async Task LogBatchAsync(string runId, IReadOnlyList<MlflowMetric> metrics, IReadOnlyDictionary<string, string> parameters,
        IReadOnlyDictionary<string, string> tags, CancellationToken cancellationToken = default)
    {
        var p = parameters.Select(kv => new { key = kv.Key, value = Truncate(kv.Value, MaxParamValueLength) }).ToList();
        var t = tags.Select(kv => new { key = kv.Key, value = Truncate(kv.Value, MaxTagValueLength) }).ToList();
        var m = metrics.Select(x => new { key = x.Key, value = x.Value, timestamp = x.Timestamp, step = x.Step }).ToList();
        int mi = 0, pi = 0, ti = 0;
        while (mi < m.Count || pi < p.Count || ti < t.Count)
        {
            var ps = p.Skip(pi).Take(MaxParamsPerBatch).ToList();
            var ts = t.Skip(ti).Take(Math.Min(MaxTagsPerBatch, MaxEntitiesPerBatch - ps.Count)).ToList();
            var ms = m.Skip(mi).Take(Math.Min(MaxMetricsPerBatch, MaxEntitiesPerBatch - ps.Count - ts.Count)).ToList();
            await PostAsync("mlflow/runs/log-batch", new { run_id = runId, metrics = ms, @params = ps, tags = ts }, cancellationToken);
            (mi, pi, ti) = (mi + ms.Count, pi + ps.Count, ti + ts.Count);
        }
    }

    /// <summary>
    /// Logs the datasets a run used (<c>POST runs/log-inputs</c>), at most <see cref="MaxDatasetsPerRequest"/> a request.
    /// Fields MLflow would refuse are refused here first, naming the field.
    /// </summary>
    public async Task LogInputsAsync(string runId, IReadOnlyList<MlflowDatasetInput> datasets, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(datasets);
        foreach (var input in datasets)
            input.Validate();
        foreach (var chunk in datasets.Chunk(MaxDatasetsPerRequest))
        {
            await PostAsync("mlflow/runs/log-inputs", new
            {
                run_id = runId,
                datasets = chunk.Select(i => new
                {
                    tags = i.Tags.Select(t => new { key = t.Key, value = t.Value }).ToList(),
                    dataset = new
                    {
                        name = i.Dataset.Name, digest = i.Dataset.Digest, source_type = i.Dataset.SourceType, source = i.Dataset.Source,
                        schema = i.Dataset.Schema, profile = i.Dataset.Profile,
                    },
                }).ToList(),
            }, cancellationToken);
        }
    }

    public Task SetTagAsync(string runId, string key, string value, CancellationToken cancellationToken = default) =>
        PostAsync("mlflow/runs/set-tag", new { run_id = runId, key, value = Truncate(value, MaxTagValueLength) }, cancellationToken);

    public Task UpdateRunAsync(string runId, string status, DateTimeOffset end, CancellationToken cancellationToken = default) =>
        PostAsync("mlflow/runs/update", new { run_id = runId, status, end_time = end.ToUnixTimeMilliseconds() }, cancellationToken);

    /// <summary>Uploads through the tracking server's artifact proxy; returns the artifact's <c>mlflow-artifacts:</c> URI.</summary>
    public async Task<string> UploadArtifactAsync(string runArtifactUri, string relativePath, byte[] content, CancellationToken cancellationToken = default)
    {
        var uri = $"{runArtifactUri.TrimEnd('/')}/{relativePath.TrimStart('/')}";
        using var body = new ByteArrayContent(content);
        body.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/octet-stream");
        using var response = await http.PutAsync(ArtifactUrl(uri), body, cancellationToken);
        await EnsureSuccessAsync(response, cancellationToken);
        return uri;
    }

    /// <summary>Downloads through the tracking server's artifact proxy, refusing a body over <paramref name="maxBytes"/> as it streams.</summary>
    public async Task<byte[]> DownloadArtifactAsync(string artifactUri, long maxBytes, CancellationToken cancellationToken = default)
    {
        using var response = await http.GetAsync(ArtifactUrl(artifactUri), HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        await EnsureSuccessAsync(response, cancellationToken);
        if (response.Content.Headers.ContentLength > maxBytes)
            throw new ArtifactLocationException($"artifact {artifactUri} is {response.Content.Headers.ContentLength:N0} bytes; artifacts are at most {maxBytes:N0}");
        using var body = new MemoryStream();
        await using (var stream = await response.Content.ReadAsStreamAsync(cancellationToken))
        {
            var chunk = new byte[81920];
            int read;
            while ((read = await stream.ReadAsync(chunk, cancellationToken)) > 0)
            {
                if (body.Length + read > maxBytes)
                    throw new ArtifactLocationException($"artifact {artifactUri} is over {maxBytes:N0} bytes; refused");
                body.Write(chunk, 0, read);
            }
        }

        return body.ToArray();
    }

    /// <summary>Creates the registered model; an existing one (RESOURCE_ALREADY_EXISTS) is fine.</summary>
    public async Task EnsureRegisteredModelAsync(string name, CancellationToken cancellationToken = default)
    {
        try
        {
            await PostAsync("mlflow/registered-models/create", new { name }, cancellationToken);
        }
        catch (MlflowException e) when (e.ErrorCode == "RESOURCE_ALREADY_EXISTS")
        {
        }
    }

    /// <summary>
    /// Registers a version from a run's artifact and waits until MLflow reports it READY (polling as MLflow's
    /// own client does); returns the version number. FAILED_REGISTRATION throws with MLflow's status message.
    /// </summary>
    public async Task<int> CreateModelVersionAsync(string name, string source, string runId, IReadOnlyDictionary<string, string>? tags = null,
        TimeSpan? readyTimeout = null, CancellationToken cancellationToken = default)
    {
        var body = await PostAsync("mlflow/model-versions/create", new
        {
            name,
            source,
            run_id = runId,
            tags = (tags ?? new Dictionary<string, string>()).Select(t => new { key = t.Key, value = Truncate(t.Value, 5000) }).ToArray(),
        }, cancellationToken);
        var version = ReadVersion(body.GetProperty("model_version"));
        var until = DateTimeOffset.UtcNow + (readyTimeout ?? TimeSpan.FromMinutes(5));
        while (true)
        {
            var status = version.Status;
            if (status is "READY" or null or "")
                return version.Version;
            if (status == "FAILED_REGISTRATION")
                throw new MlflowException(System.Net.HttpStatusCode.OK, "FAILED_REGISTRATION",
                    $"model {name} version {version.Version} failed to register: {version.StatusMessage}");
            if (DateTimeOffset.UtcNow > until)
                throw new TimeoutException($"model {name} version {version.Version} still {status} after {readyTimeout ?? TimeSpan.FromMinutes(5)}");
            await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
            version = await GetModelVersionAsync(name, version.Version, cancellationToken);
        }
    }

    /// <summary>The versions of <paramref name="name"/> registered from run <paramref name="runId"/> (GET model-versions/search), oldest first.</summary>
    public async Task<IReadOnlyList<MlflowModelVersion>> FindModelVersionsByRunAsync(string name, string runId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(runId);
        var filter = $"name = '{name.Replace("'", "\\'", StringComparison.Ordinal)}' AND run_id = '{runId.Replace("'", "\\'", StringComparison.Ordinal)}'";
        var body = await GetAsync($"mlflow/model-versions/search?filter={Uri.EscapeDataString(filter)}&max_results=100", cancellationToken);
        return body.TryGetProperty("model_versions", out var versions)
            ? versions.EnumerateArray().Select(ReadVersion).OrderBy(v => v.Version).ToList()
            : [];
    }

    public async Task<MlflowModelVersion> GetModelVersionAsync(string name, int version, CancellationToken cancellationToken = default)
    {
        var body = await GetAsync($"mlflow/model-versions/get?name={Uri.EscapeDataString(name)}&version={version.ToString(CultureInfo.InvariantCulture)}",
            cancellationToken);
        return ReadVersion(body.GetProperty("model_version"));
    }

    /// <summary>Points <paramref name="alias"/> at <paramref name="version"/>, moving it from wherever it was.</summary>
    public Task SetAliasAsync(string name, string alias, int version, CancellationToken cancellationToken = default) =>
        PostAsync("mlflow/registered-models/alias", new { name, alias, version = version.ToString(CultureInfo.InvariantCulture) }, cancellationToken);

    /// <summary>The version the alias points at, or null where the model or the alias does not exist.</summary>
    public async Task<MlflowModelVersion?> GetVersionByAliasAsync(string name, string alias, CancellationToken cancellationToken = default)
    {
        try
        {
            var body = await GetAsync($"mlflow/registered-models/alias?name={Uri.EscapeDataString(name)}&alias={Uri.EscapeDataString(alias)}",
                cancellationToken);
            return ReadVersion(body.GetProperty("model_version"));
        }
        catch (MlflowException e) when (e.ErrorCode is "RESOURCE_DOES_NOT_EXIST" or "INVALID_PARAMETER_VALUE") // unknown model; unknown alias
        {
            return null;
        }
    }

    static MlflowModelVersion ReadVersion(JsonElement v) => new(
        v.GetProperty("name").GetString()!,
        int.Parse(v.GetProperty("version").ValueKind == JsonValueKind.Number ? v.GetProperty("version").GetRawText() : v.GetProperty("version").GetString()!,
            CultureInfo.InvariantCulture),
        v.TryGetProperty("source", out var source) ? source.GetString() : null,
        v.TryGetProperty("run_id", out var run) ? run.GetString() : null,
        v.TryGetProperty("status", out var status) ? status.GetString() : null,
        v.TryGetProperty("status_message", out var message) ? message.GetString() : null);

    /// <summary><c>mlflow-artifacts:/1/abc/artifacts/model</c> → <c>{tracking}/api/2.0/mlflow-artifacts/artifacts/1/abc/artifacts/model</c>.</summary>
    public string ArtifactUrl(string artifactUri)
    {
        ArgumentNullException.ThrowIfNull(artifactUri);
        if (!artifactUri.StartsWith("mlflow-artifacts:", StringComparison.Ordinal))
            throw new ArgumentException($"'{artifactUri}' is not an mlflow-artifacts: URI; this client reads and writes artifacts through the tracking server's proxy only.",
                nameof(artifactUri));
        var path = artifactUri["mlflow-artifacts:".Length..];
        if (path.StartsWith("//", StringComparison.Ordinal))
            path = path[(path.IndexOf('/', 2) is var i and >= 0 ? i : path.Length)..]; // a netloc names the server; we talk to ours
        var segments = path.Trim('/').Split('/').Select(Uri.EscapeDataString);
        return $"mlflow-artifacts/artifacts/{string.Join('/', segments)}";
    }

    async Task<JsonElement> GetAsync(string path, CancellationToken cancellationToken)
    {
        using var response = await http.GetAsync(path, cancellationToken);
        return await ReadAsync(response, cancellationToken);
    }

    async Task<JsonElement> PostAsync(string path, object body, CancellationToken cancellationToken)
    {
        using var response = await http.PostAsJsonAsync(path, body, Json, cancellationToken);
        return await ReadAsync(response, cancellationToken);
    }

    static async Task<JsonElement> ReadAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        await EnsureSuccessAsync(response, cancellationToken);
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        return text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
    }

    static async Task EnsureSuccessAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (response.IsSuccessStatusCode)
            return;
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        string code = "HTTP_" + ((int)response.StatusCode).ToString(CultureInfo.InvariantCulture), message = text;
        try
        {
            var error = JsonDocument.Parse(text).RootElement;
            code = error.GetProperty("error_code").GetString() ?? code;
            message = error.TryGetProperty("message", out var m) ? m.GetString() ?? text : text;
        }
        catch (JsonException)
        {
            // A proxy's or a disabled route's plain-text answer: keep it as the message.
        }
        catch (KeyNotFoundException)
        {
        }

        var failure = new MlflowException(response.StatusCode, code, message);
        // A server error or a throttle is an outage of MLflow, which the workers wait out (Messaging's outage filter
        // reads this mark; Tracking knows nothing of the bus).
        if ((int)response.StatusCode >= 500 || response.StatusCode == System.Net.HttpStatusCode.TooManyRequests)
            failure.Data["neuraltrade.outage"] = true;
        throw failure;
    }

    static MlflowRun ReadRun(JsonElement info) => new(
        info.GetProperty("run_id").GetString()!,
        info.GetProperty("experiment_id").GetString()!,
        info.TryGetProperty("artifact_uri", out var a) ? a.GetString() ?? "" : "",
        info.TryGetProperty("status", out var s) ? s.ToString() : "RUNNING");

    static string Truncate(string value, int max) => value.Length <= max ? value : value[..max];
}
