using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace NeuralTrade.Events.Testing;

/// <summary>
/// An in-process MLflow tracking server for tests (no MLflow can be installed here). It implements the endpoints
/// the fleet uses as MLflow documents them (shared/MLFLOW.md: mlflow/protos/service.proto, model_registry.proto,
/// server/handlers.py, utils/validation.py): snake_case JSON, <c>{"error_code","message"}</c> errors with MLflow's
/// HTTP statuses (RESOURCE_ALREADY_EXISTS is 400), the log-batch limits, immutable params, a JSON content type on
/// POST, and the artifact proxy under <c>/api/2.0/mlflow-artifacts/artifacts</c>.
/// </summary>
public sealed class FakeMlflowServer : IAsyncDisposable
{
    readonly WebApplication _app;
    readonly Lock _gate = new();
    int _experimentSeq;
    int _failNext;

    public sealed class Run
    {
        public required string RunId { get; init; }
        public required string ExperimentId { get; init; }
        public string Status { get; set; } = "RUNNING";
        public string? RunName { get; set; }
        public long? EndTime { get; set; }
        public Dictionary<string, string> Params { get; } = [];
        public Dictionary<string, string> Tags { get; } = [];
        public Dictionary<string, List<(double Value, long Step, long Timestamp)>> Metrics { get; } = [];
        /// <summary>The dataset inputs logged with <c>runs/log-inputs</c>, each as received: <c>{tags, dataset}</c>.</summary>
        public List<JsonNode> Inputs { get; } = [];
    }

    public ConcurrentDictionary<string, string> Experiments { get; } = new();   // name → id
    public ConcurrentDictionary<string, Run> Runs { get; } = new();
    public ConcurrentDictionary<string, byte[]> Artifacts { get; } = new();     // path under artifacts/ → bytes
    public ConcurrentQueue<(string Method, string Path, int Status)> Requests { get; } = new();

    public sealed class RegisteredModel
    {
        public required string Name { get; init; }
        public List<(int Version, string Source, string? RunId)> Versions { get; } = [];
        public Dictionary<string, int> Aliases { get; } = [];
        /// <summary>Each version's tags as <c>model-versions/create</c> received them (version → key → value).</summary>
        public Dictionary<int, Dictionary<string, string>> VersionTags { get; } = [];
    }

    public ConcurrentDictionary<string, RegisteredModel> Models { get; } = new();

    /// <summary>How many <c>get</c> polls a new version answers PENDING_REGISTRATION before READY (MLflow may register asynchronously).</summary>
    public int PendingPolls { get; set; }

    /// <summary>
    /// When set, every request must carry this Authorization header value (as MLflow's basic-auth app, or a proxy checking
    /// a bearer token, requires); others are answered 401 as MLflow answers them.
    /// </summary>
    public string? RequiredAuthorization { get; set; }

    /// <summary>While true, every request is answered 503 as by a server that is down behind a proxy.</summary>
    public bool Down { get; set; }

    /// <summary>Answers the next <paramref name="count"/> requests with 503, then serves normally.</summary>
    public void FailNext(int count) => Interlocked.Exchange(ref _failNext, count);

    /// <summary>A run tag's longest value (mlflow/utils/validation.py, MLflow 3.x; 5000 in older versions).</summary>
    public const int MaxRunTagValueLength = 8000;

    public string Uri { get; private set; } = "";

    FakeMlflowServer(WebApplication app) => _app = app;

    public static async Task<FakeMlflowServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        FakeMlflowServer? server = null;
        app.Use(async (context, next) =>
        {
            var s = server!;
            if (s.RequiredAuthorization is { } required && context.Request.Headers.Authorization.ToString() != required)
            {
                context.Response.StatusCode = 401;
                context.Response.Headers.WWWAuthenticate = "Basic realm=\"mlflow\"";
                await context.Response.WriteAsync("You are not authenticated. Please see https://www.mlflow.org/docs/latest/auth/index.html");
            }
            else if (s.Down || Interlocked.Decrement(ref s._failNext) >= 0)
            {
                context.Response.StatusCode = 503;
                await context.Response.WriteAsync("Service Unavailable");
            }
            else
            {
                if (context.Request.Method == "POST" && context.Request.ContentType?.StartsWith("application/json", StringComparison.Ordinal) != true)
                    await Error(context, 400, "INVALID_PARAMETER_VALUE", "Bad Request. Content-Type must be 'application/json'.");
                else
                    await next(context);
            }

            s.Requests.Enqueue((context.Request.Method, context.Request.Path.Value ?? "", context.Response.StatusCode));
        });
        server = new FakeMlflowServer(app);
        server.Map(app);
        await app.StartAsync();
        server.Uri = app.Urls.First();
        return server;
    }

    void Map(WebApplication app)
    {
        var api = app.MapGroup("/api/2.0");
        api.MapGet("/mlflow/experiments/get-by-name", (HttpContext c) =>
        {
            var name = c.Request.Query["experiment_name"].ToString();
            return Experiments.TryGetValue(name, out var id)
                ? Results.Json(new { experiment = new { experiment_id = id, name, artifact_location = $"mlflow-artifacts:/{id}", lifecycle_stage = "active", tags = Array.Empty<object>() } })
                : ErrorResult(404, "RESOURCE_DOES_NOT_EXIST", $"Could not find experiment with name '{name}'");
        });
        api.MapPost("/mlflow/experiments/create", async (HttpContext c) =>
        {
            var body = await Body(c);
            var name = body?["name"]?.GetValue<string>();
            if (string.IsNullOrEmpty(name))
                return ErrorResult(400, "INVALID_PARAMETER_VALUE", "Missing value for required parameter 'name'.");
            if (name.Length > 500)
                return ErrorResult(400, "INVALID_PARAMETER_VALUE", "Experiment name exceeds the maximum length of 500.");
            lock (_gate)
            {
                if (Experiments.ContainsKey(name))
                    return ErrorResult(400, "RESOURCE_ALREADY_EXISTS", $"Experiment '{name}' already exists.");
                var id = (++_experimentSeq).ToString(System.Globalization.CultureInfo.InvariantCulture);
                Experiments[name] = id;
                return Results.Json(new { experiment_id = id });
            }
        });
        api.MapPost("/mlflow/runs/create", async (HttpContext c) =>
        {
            var body = await Body(c);
            var experimentId = body?["experiment_id"]?.GetValue<string>();
            if (experimentId is null || !Experiments.Values.Contains(experimentId))
                return ErrorResult(404, "RESOURCE_DOES_NOT_EXIST", $"No Experiment with id={experimentId} exists");
            var run = new Run { RunId = Guid.NewGuid().ToString("N"), ExperimentId = experimentId, RunName = body?["run_name"]?.GetValue<string>() };
            foreach (var tag in body?["tags"]?.AsArray() ?? [])
                run.Tags[tag!["key"]!.GetValue<string>()] = tag["value"]!.GetValue<string>();
            Runs[run.RunId] = run;
            return Results.Json(new { run = new { info = Info(run), data = new { } } });
        });
        api.MapGet("/mlflow/runs/get", (HttpContext c) =>
        {
            if (!Runs.TryGetValue(c.Request.Query["run_id"].ToString(), out var run))
                return ErrorResult(404, "RESOURCE_DOES_NOT_EXIST", "Run not found");
            return Results.Json(new
            {
                run = new
                {
                    info = Info(run),
                    data = new
                    {
                        metrics = run.Metrics.Select(m => new { key = m.Key, value = m.Value.MaxBy(v => (v.Timestamp, v.Value)).Value, step = m.Value.MaxBy(v => v.Timestamp).Step }),
                        @params = run.Params.Select(p => new { key = p.Key, value = p.Value }),
                        tags = run.Tags.Select(t => new { key = t.Key, value = t.Value }),
                    },
                    inputs = new { dataset_inputs = run.Inputs.ToList() },
                },
            });
        });
        // service.proto LogInputs; validation.py _validate_dataset_inputs: name, digest, source_type and source are
        // required; MAX_DATASET_NAME_SIZE 500, DIGEST 36, SOURCE 65535, SCHEMA 1048575, PROFILE 16777215, input tag
        // key 255 and value 500, at most 1000 datasets a request.
        api.MapPost("/mlflow/runs/log-inputs", async (HttpContext c) =>
        {
            var body = await Body(c);
            if (!Runs.TryGetValue(body?["run_id"]?.GetValue<string>() ?? "", out var run))
                return ErrorResult(404, "RESOURCE_DOES_NOT_EXIST", "Run not found");
            var datasets = body!["datasets"]?.AsArray() ?? [];
            if (datasets.Count > 1000)
                return ErrorResult(400, "INVALID_PARAMETER_VALUE", $"A request can contain at most 1000 datasets; got {datasets.Count}.");
            foreach (var input in datasets)
            {
                var dataset = input?["dataset"];
                foreach (var (field, max, required) in new[] { ("name", 500, true), ("digest", 36, true), ("source_type", int.MaxValue, true),
                             ("source", 65_535, true), ("schema", 1_048_575, false), ("profile", 16_777_215, false) })
                {
                    var value = dataset?[field]?.GetValue<string>();
                    if (value is null && required)
                        return ErrorResult(400, "INVALID_PARAMETER_VALUE", $"Dataset {field} cannot be None");
                    if (value is not null && value.Length > max)
                        return ErrorResult(400, "INVALID_PARAMETER_VALUE", $"Dataset {field} exceeds the maximum length of {max}");
                }

                foreach (var tag in input!["tags"]?.AsArray() ?? [])
                {
                    var (key, value) = (tag?["key"]?.GetValue<string>(), tag?["value"]?.GetValue<string>());
                    if (key is null || value is null)
                        return ErrorResult(400, "INVALID_PARAMETER_VALUE", "Input tag key and value cannot be None");
                    if (key.Length > 255 || value.Length > 500)
                        return ErrorResult(400, "INVALID_PARAMETER_VALUE", $"Input tag '{key}' exceeds the maximum length");
                }
            }

            lock (_gate)
            {
                foreach (var input in datasets)
                    run.Inputs.Add(input!.DeepClone());
            }

            return Results.Json(new { });
        });
        api.MapPost("/mlflow/runs/log-batch", async (HttpContext c) =>
        {
            var body = await Body(c);
            if (!Runs.TryGetValue(body?["run_id"]?.GetValue<string>() ?? "", out var run))
                return ErrorResult(404, "RESOURCE_DOES_NOT_EXIST", "Run not found");
            var metrics = body!["metrics"]?.AsArray() ?? [];
            var parameters = body["params"]?.AsArray() ?? [];
            var tags = body["tags"]?.AsArray() ?? [];
            if (metrics.Count > 1000 || parameters.Count > 100 || tags.Count > 100 || metrics.Count + parameters.Count + tags.Count > 1000)
                return ErrorResult(400, "INVALID_PARAMETER_VALUE",
                    $"A batch logging request can contain at most 1000 metrics, 100 params, 100 tags and 1000 entities; got {metrics.Count}, {parameters.Count}, {tags.Count}.");
            if (c.Request.ContentLength > 1_000_000)
                return ErrorResult(400, "INVALID_PARAMETER_VALUE", "Batched logging API requests must be at most 1 MB in size.");
            var keys = parameters.Select(p => p!["key"]!.GetValue<string>()).ToList();
            if (keys.Count != keys.Distinct().Count())
                return ErrorResult(400, "INVALID_PARAMETER_VALUE", "Duplicate parameter keys in the same batch.");
            foreach (var entity in metrics.Concat(parameters).Concat(tags))
            {
                var key = entity!["key"]!.GetValue<string>();
                if (key.Length > 250 || !System.Text.RegularExpressions.Regex.IsMatch(key, @"^[/\w.\- :]*$"))
                    return ErrorResult(400, "INVALID_PARAMETER_VALUE", $"Invalid key '{key}'.");
            }

            lock (_gate)
            {
                foreach (var p in parameters)
                {
                    var key = p!["key"]!.GetValue<string>();
                    var value = p["value"]!.GetValue<string>();
                    if (value.Length > 6000)
                        return ErrorResult(400, "INVALID_PARAMETER_VALUE", $"Param value for '{key}' exceeds 6000 characters.");
                    if (run.Params.TryGetValue(key, out var old) && old != value)
                        return ErrorResult(400, "INVALID_PARAMETER_VALUE",
                            $"Changing param values is not allowed. Param with key='{key}' was already logged with value='{old}', new value='{value}'.");
                    run.Params[key] = value;
                }

                foreach (var t in tags)
                {
                    var value = t!["value"]!.GetValue<string>();
                    if (value.Length > MaxRunTagValueLength)
                        return ErrorResult(400, "INVALID_PARAMETER_VALUE",
                            $"Tag value for '{t["key"]!.GetValue<string>()}' exceeds {MaxRunTagValueLength} characters.");
                }

                foreach (var t in tags)
                    run.Tags[t!["key"]!.GetValue<string>()] = t["value"]!.GetValue<string>();
                foreach (var m in metrics)
                {
                    var key = m!["key"]!.GetValue<string>();
                    if (!run.Metrics.TryGetValue(key, out var list))
                        run.Metrics[key] = list = [];
                    list.Add((m["value"]!.GetValue<double>(), m["step"]?.GetValue<long>() ?? 0, m["timestamp"]!.GetValue<long>()));
                }
            }

            return Results.Json(new { });
        });
        api.MapPost("/mlflow/runs/update", async (HttpContext c) =>
        {
            var body = await Body(c);
            if (!Runs.TryGetValue(body?["run_id"]?.GetValue<string>() ?? "", out var run))
                return ErrorResult(404, "RESOURCE_DOES_NOT_EXIST", "Run not found");
            var status = body!["status"]?.GetValue<string>();
            if (status is not null and not ("RUNNING" or "SCHEDULED" or "FINISHED" or "FAILED" or "KILLED"))
                return ErrorResult(400, "INVALID_PARAMETER_VALUE", $"Invalid status '{status}'.");
            run.Status = status ?? run.Status;
            run.EndTime = body["end_time"]?.GetValue<long>();
            return Results.Json(new { run_info = Info(run) });
        });
        api.MapPost("/mlflow/runs/set-tag", async (HttpContext c) =>
        {
            var body = await Body(c);
            if (!Runs.TryGetValue(body?["run_id"]?.GetValue<string>() ?? "", out var run))
                return ErrorResult(404, "RESOURCE_DOES_NOT_EXIST", "Run not found");
            var value = body!["value"]!.GetValue<string>();
            if (value.Length > MaxRunTagValueLength)
                return ErrorResult(400, "INVALID_PARAMETER_VALUE", $"Tag value exceeds {MaxRunTagValueLength} characters.");
            run.Tags[body["key"]!.GetValue<string>()] = value;
            return Results.Json(new { });
        });
        api.MapPost("/mlflow/registered-models/create", async (HttpContext c) =>
        {
            var name = (await Body(c))?["name"]?.GetValue<string>();
            if (string.IsNullOrEmpty(name))
                return ErrorResult(400, "INVALID_PARAMETER_VALUE", "Missing value for required parameter 'name'.");
            if (!Models.TryAdd(name, new RegisteredModel { Name = name }))
                return ErrorResult(400, "RESOURCE_ALREADY_EXISTS", $"Registered Model (name={name}) already exists.");
            return Results.Json(new { registered_model = ModelJson(Models[name]) });
        });
        api.MapGet("/mlflow/registered-models/get", (HttpContext c) =>
            Models.TryGetValue(c.Request.Query["name"].ToString(), out var model)
                ? Results.Json(new { registered_model = ModelJson(model) })
                : ErrorResult(404, "RESOURCE_DOES_NOT_EXIST", $"Registered Model with name={c.Request.Query["name"]} not found"));
        api.MapPost("/mlflow/model-versions/create", async (HttpContext c) =>
        {
            var body = await Body(c);
            var name = body?["name"]?.GetValue<string>();
            var source = body?["source"]?.GetValue<string>();
            if (string.IsNullOrEmpty(name) || string.IsNullOrEmpty(source))
                return ErrorResult(400, "INVALID_PARAMETER_VALUE", "Missing value for required parameter 'name' or 'source'.");
            if (source.Contains("..", StringComparison.Ordinal))
                return ErrorResult(400, "INVALID_PARAMETER_VALUE", "Invalid model version source: path traversal.");
            if (!Models.TryGetValue(name, out var model))
                return ErrorResult(404, "RESOURCE_DOES_NOT_EXIST", $"Registered Model with name={name} not found");
            var runId = body!["run_id"]?.GetValue<string>();
            if (runId is not null && !Runs.ContainsKey(runId))
                return ErrorResult(404, "RESOURCE_DOES_NOT_EXIST", $"Run with id={runId} not found");
            // MLflow: a model version tag's value is at most 5000 characters (MAX_MODEL_VERSION_TAG_VALUE_LENGTH).
            var tags = new Dictionary<string, string>();
            foreach (var tag in body["tags"]?.AsArray() ?? [])
            {
                var key = tag?["key"]?.GetValue<string>();
                var value = tag?["value"]?.GetValue<string>() ?? "";
                if (string.IsNullOrEmpty(key) || value.Length > 5000)
                    return ErrorResult(400, "INVALID_PARAMETER_VALUE", $"Invalid model version tag '{key}': a key is required and a value is at most 5000 characters.");
                tags[key] = value;
            }
            int version;
            lock (_gate)
            {
                version = model.Versions.Count + 1;
                model.Versions.Add((version, source, runId));
                model.VersionTags[version] = tags;
                _pending[(name, version)] = PendingPolls;
            }

            return Results.Json(new { model_version = VersionJson(model, version) });
        });
        api.MapGet("/mlflow/model-versions/get", (HttpContext c) =>
        {
            if (!Models.TryGetValue(c.Request.Query["name"].ToString(), out var model)
                || !int.TryParse(c.Request.Query["version"], out var version) || version < 1 || version > model.Versions.Count)
                return ErrorResult(404, "RESOURCE_DOES_NOT_EXIST", "Model Version not found");
            lock (_gate)
                _pending[(model.Name, version)] = Math.Max(0, _pending.GetValueOrDefault((model.Name, version)) - 1);
            return Results.Json(new { model_version = VersionJson(model, version) });
        });
        // MLflow's search of model versions: filter clauses `name = '…'` and `run_id = '…'` joined by AND (the server also
        // knows IN, LIKE and tags, which the fleet does not use: refused here as MLflow refuses a filter it cannot parse).
        // An empty result is `{}`, as MLflow's protobuf JSON omits empty lists.
        api.MapGet("/mlflow/model-versions/search", (HttpContext c) =>
        {
            var clauses = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var clause in System.Text.RegularExpressions.Regex.Split(c.Request.Query["filter"].ToString(), @"\s+AND\s+",
                         System.Text.RegularExpressions.RegexOptions.IgnoreCase).Where(p => p.Trim().Length > 0))
            {
                var m = System.Text.RegularExpressions.Regex.Match(clause.Trim(), @"^(name|run_id)\s*=\s*'([^']*)'$");
                if (!m.Success)
                    return ErrorResult(400, "INVALID_PARAMETER_VALUE", $"Invalid filter '{clause.Trim()}'.");
                clauses[m.Groups[1].Value] = m.Groups[2].Value;
            }

            List<object> found;
            lock (_gate)
            {
                found = Models.Values
                    .Where(m => !clauses.TryGetValue("name", out var n) || m.Name == n)
                    .SelectMany(m => m.Versions.Where(v => !clauses.TryGetValue("run_id", out var r) || v.RunId == r).Select(v => VersionJson(m, v.Version)))
                    .ToList();
            }

            return found.Count == 0 ? Results.Json(new { }) : Results.Json(new { model_versions = found });
        });
        // Where a version's files are (service: GetModelVersionDownloadUri): its source, which MLflow's client downloads
        // to load models:/<name>/<version> or models:/<name>@<alias>.
        api.MapGet("/mlflow/model-versions/get-download-uri", (HttpContext c) =>
        {
            if (!Models.TryGetValue(c.Request.Query["name"].ToString(), out var model)
                || !int.TryParse(c.Request.Query["version"], out var version) || version < 1 || version > model.Versions.Count)
                return ErrorResult(404, "RESOURCE_DOES_NOT_EXIST", "Model Version not found");
            return Results.Json(new { artifact_uri = model.Versions[version - 1].Source });
        });
        api.MapPost("/mlflow/registered-models/alias", async (HttpContext c) =>
        {
            var body = await Body(c);
            var alias = body?["alias"]?.GetValue<string>() ?? "";
            if (!Models.TryGetValue(body?["name"]?.GetValue<string>() ?? "", out var model))
                return ErrorResult(404, "RESOURCE_DOES_NOT_EXIST", "Registered Model not found");
            if (alias.Length is 0 or > 255 || !System.Text.RegularExpressions.Regex.IsMatch(alias, @"^[\w\-]*$") || alias == "latest"
                || System.Text.RegularExpressions.Regex.IsMatch(alias, @"^v\d+$"))
                return ErrorResult(400, "INVALID_PARAMETER_VALUE", $"Invalid alias name: '{alias}'.");
            if (!int.TryParse(body!["version"]?.GetValue<string>(), out var version) || version < 1 || version > model.Versions.Count)
                return ErrorResult(404, "RESOURCE_DOES_NOT_EXIST", "Model Version not found");
            lock (_gate)
                model.Aliases[alias] = version;
            return Results.Json(new { });
        });
        api.MapGet("/mlflow/registered-models/alias", (HttpContext c) =>
        {
            if (!Models.TryGetValue(c.Request.Query["name"].ToString(), out var model))
                return ErrorResult(404, "RESOURCE_DOES_NOT_EXIST", "Registered Model not found");
            lock (_gate)
                return model.Aliases.TryGetValue(c.Request.Query["alias"].ToString(), out var version)
                    ? Results.Json(new { model_version = VersionJson(model, version) })
                    : ErrorResult(400, "INVALID_PARAMETER_VALUE", $"Registered model alias {c.Request.Query["alias"]} not found.");
        });
        api.MapPut("/mlflow-artifacts/artifacts/{**path}", async (HttpContext c, string path) =>
        {
            if (path.Contains("..", StringComparison.Ordinal))
                return ErrorResult(400, "INVALID_PARAMETER_VALUE", "Invalid path");
            using var buffer = new MemoryStream();
            await c.Request.Body.CopyToAsync(buffer);
            Artifacts[path] = buffer.ToArray();
            return Results.Json(new { });
        });
        // The proxied artifact store's listing (mlflow/server/handlers.py _list_artifacts_mlflow_artifacts): the direct
        // children of `path` by base name, directories with is_dir and no size; `{}` when there are none.
        api.MapGet("/mlflow-artifacts/artifacts", (HttpContext c) =>
        {
            var path = c.Request.Query["path"].ToString().Trim('/');
            if (path.Contains("..", StringComparison.Ordinal))
                return ErrorResult(400, "INVALID_PARAMETER_VALUE", "Invalid path");
            var prefix = path.Length == 0 ? "" : path + "/";
            var children = Artifacts.Where(a => a.Key.StartsWith(prefix, StringComparison.Ordinal))
                .Select(a => (Relative: a.Key[prefix.Length..], Size: a.Value.LongLength))
                .GroupBy(a => a.Relative.Split('/')[0], StringComparer.Ordinal)
                .OrderBy(g => g.Key, StringComparer.Ordinal)
                .Select(g => g.Any(a => a.Relative.Contains('/', StringComparison.Ordinal))
                    ? (object)new { path = g.Key, is_dir = true }
                    : new { path = g.Key, is_dir = false, file_size = g.First().Size })
                .ToList();
            return children.Count == 0 ? Results.Json(new { }) : Results.Json(new { files = children });
        });
        api.MapGet("/mlflow-artifacts/artifacts/{**path}", (string path) =>
            Artifacts.TryGetValue(path, out var bytes) ? Results.File(bytes, "application/octet-stream", Path.GetFileName(path))
                : ErrorResult(404, "RESOURCE_DOES_NOT_EXIST", $"Artifact '{path}' does not exist"));
    }

    readonly Dictionary<(string, int), int> _pending = [];

    static object ModelJson(RegisteredModel model) => new
    {
        name = model.Name, latest_versions = Array.Empty<object>(), tags = Array.Empty<object>(),
        aliases = model.Aliases.Select(a => new { alias = a.Key, version = a.Value.ToString(System.Globalization.CultureInfo.InvariantCulture) }).ToArray(),
    };

    object VersionJson(RegisteredModel model, int version)
    {
        var (_, source, runId) = model.Versions[version - 1];
        var pending = _pending.GetValueOrDefault((model.Name, version)) > 0;
        return new
        {
            name = model.Name, version = version.ToString(System.Globalization.CultureInfo.InvariantCulture), source, run_id = runId,
            current_stage = "None", status = pending ? "PENDING_REGISTRATION" : "READY", status_message = "",
            aliases = model.Aliases.Where(a => a.Value == version).Select(a => a.Key).ToArray(),
            tags = model.VersionTags.GetValueOrDefault(version, []).Select(t => new { key = t.Key, value = t.Value }).ToArray(),
        };
    }

    static object Info(Run run) => new
    {
        run_id = run.RunId, run_uuid = run.RunId, run_name = run.RunName, experiment_id = run.ExperimentId, status = run.Status,
        end_time = run.EndTime, artifact_uri = $"mlflow-artifacts:/{run.ExperimentId}/{run.RunId}/artifacts", lifecycle_stage = "active",
    };

    static async Task<JsonNode?> Body(HttpContext c) => await JsonNode.ParseAsync(c.Request.Body);

    static IResult ErrorResult(int status, string code, string message) =>
        Results.Json(new { error_code = code, message }, statusCode: status);

    static Task Error(HttpContext context, int status, string code, string message)
    {
        context.Response.StatusCode = status;
        return context.Response.WriteAsJsonAsync(new { error_code = code, message });
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
