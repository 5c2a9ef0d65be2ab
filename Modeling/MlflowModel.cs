using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using TorchSharp.PyBridge;
using YamlDotNet.Serialization;

namespace NeuralTrade.Events.Modeling;

/// <summary>One file of an MLflow model directory: its path relative to the directory (forward slashes) and its bytes.</summary>
public sealed record MlflowModelFile(string Path, byte[] Content);

/// <summary>
/// A model as an MLflow model directory (MLflow's "MLmodel" format with a <c>python_function</c> flavor, custom
/// <c>loader_module</c>), so that <c>mlflow.pyfunc.load_model("models:/&lt;name&gt;@champion")</c> loads it:
/// <list type="bullet">
/// <item><c>MLmodel</c>: artifact path, run id, creation time, model uuid, the pyfunc flavor (loader module, code, data,
/// environment, Python version), the signature (tensor specs) and the saved input example's info;</item>
/// <item><c>code/neuraltrade_signal.py</c>: the network in PyTorch, layer for layer, and <c>_load_pyfunc</c>;</item>
/// <item><c>data/config.json</c> (architecture, features, scaler, temperature, labels, recipe, provenance) and
/// <c>data/state_dict.pt</c> (the weights as a PyTorch state dict, written by TorchSharp.PyBridge);</item>
/// <item><c>input_example.json</c> and <c>serving_input_example.json</c>: real windows of the run's test split;</item>
/// <item><c>conda.yaml</c>, <c>python_env.yaml</c>, <c>requirements.txt</c>.</item>
/// </list>
/// The input is the fleet's unscaled feature window (float32, n × window × features), the output the calibrated
/// probabilities (float32, n × 3: sell, hold, buy). Built from the artifact Inference serves (its weights, scaler and
/// temperature), so it computes the fleet's probabilities; MlflowModelParityTests measures that against Debian's PyTorch.
/// </summary>
public static partial class MlflowModel
{
    /// <summary>The run artifact path of the directory: the <c>.ntm</c> artifact lives in it too (<c>model/&lt;name&gt;.ntm</c>).</summary>
    public const string ArtifactPath = "model";

    public const string MlmodelFile = "MLmodel", LoaderModule = "neuraltrade_signal", CodeDirectory = "code", DataDirectory = "data",
        ConfigFile = "config.json", WeightsFile = "state_dict.pt", InputExampleFile = "input_example.json",
        ServingInputExampleFile = "serving_input_example.json", CondaFile = "conda.yaml", PythonEnvFile = "python_env.yaml",
        RequirementsFile = "requirements.txt";

    /// <summary>The version of <c>data/config.json</c> that the loader module reads.</summary>
    public const int ConfigFormat = 1;

    /// <summary>
    /// The Python the loader module is tested with (Debian 12's python3 with python3-torch 1.13): MLflow's
    /// <c>python_version</c> names the Python a model was saved with, and this model is saved from .NET, so it names
    /// the one its loader was checked on.
    /// </summary>
    public const string PythonVersion = "3.11.2";

    /// <summary>What the loader needs (the versions it is tested with are the floors), and MLflow to serve it.</summary>
    public static readonly IReadOnlyList<string> Requirements = ["mlflow", "torch>=1.13", "numpy>=1.24"];

    /// <summary>Test windows kept as the input example.</summary>
    public const int InputExampleWindows = 5;

    static readonly JsonSerializerOptions IndentedJson = new() { WriteIndented = true };

    /// <summary>
    /// The MLflow model directory of <paramref name="model"/> (read from its artifact) logged by run
    /// <paramref name="runId"/>, with <paramref name="inputExample"/> (unscaled windows) as its input example.
    /// </summary>
    public static IReadOnlyList<MlflowModelFile> Build(LoadedModel model, FeatureWindows inputExample, string runId, DateTimeOffset createdAt,
        Guid modelUuid)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(inputExample);
        ArgumentException.ThrowIfNullOrEmpty(runId);
        var manifest = model.Manifest;
        if (inputExample.Window != manifest.WindowSize || inputExample.Features != manifest.FeatureNames.Count || inputExample.Count < 1)
            throw new ArgumentException($"the input example holds {inputExample.Count} windows of {inputExample.Window} × {inputExample.Features}; " +
                $"the model takes windows of {manifest.WindowSize} × {manifest.FeatureNames.Count}", nameof(inputExample));

        var example = Windows(inputExample);
        return
        [
            new(MlmodelFile, Encoding.UTF8.GetBytes(Mlmodel(manifest, runId, createdAt, modelUuid))),
            new($"{CodeDirectory}/{LoaderModule}.py", LoaderSource()),
            new($"{DataDirectory}/{ConfigFile}", JsonSerializer.SerializeToUtf8Bytes(Config(model), IndentedJson)),
            new($"{DataDirectory}/{WeightsFile}", Weights(model.Model)),
            new(InputExampleFile, Encoding.UTF8.GetBytes(example.ToJsonString())),
            new(ServingInputExampleFile, JsonSerializer.SerializeToUtf8Bytes(new JsonObject { ["inputs"] = example.DeepClone() }, IndentedJson)),
            new(CondaFile, Encoding.UTF8.GetBytes(CondaYaml())),
            new(PythonEnvFile, Encoding.UTF8.GetBytes(PythonEnvYaml())),
            new(RequirementsFile, Encoding.UTF8.GetBytes(string.Join('\n', Requirements) + "\n")),
        ];
    }

    /// <summary>Writes <paramref name="files"/> under <paramref name="directory"/>.</summary>
    public static void WriteTo(IReadOnlyList<MlflowModelFile> files, string directory)
    {
        ArgumentNullException.ThrowIfNull(files);
        foreach (var file in files)
        {
            var path = System.IO.Path.Combine(directory, file.Path);
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
            File.WriteAllBytes(path, file.Content);
        }
    }

    /// <summary>MLflow's tensor-spec JSON of the input: float32 (-1, window, features).</summary>
    public static string InputSchema(int window, int features) => TensorSpec(-1, window, features);

    /// <summary>MLflow's tensor-spec JSON of the output: float32 (-1, 3), the probabilities of sell, hold, buy.</summary>
    public static string OutputSchema() => TensorSpec(-1, SignalClasses.Count);

    // As MLflow's Schema.to_json writes a TensorSpec: json.dumps of [{"type": "tensor", "tensor-spec": {dtype, shape}}].
    static string TensorSpec(params int[] shape) =>
        $"[{{\"type\": \"tensor\", \"tensor-spec\": {{\"dtype\": \"float32\", \"shape\": [{string.Join(", ", shape.Select(d => d.ToString(CultureInfo.InvariantCulture)))}]}}}}]";

    static string Mlmodel(ArtifactManifest manifest, string runId, DateTimeOffset createdAt, Guid modelUuid)
    {
        // Keys as MLflow's Model.to_dict writes them (sorted, as its yaml.safe_dump does); mlflow_version is left out:
        // MLflow did not write this model.
        var document = new SortedDictionary<string, object>(StringComparer.Ordinal)
        {
            ["artifact_path"] = ArtifactPath,
            ["flavors"] = new Dictionary<string, object>
            {
                ["python_function"] = new SortedDictionary<string, object>(StringComparer.Ordinal)
                {
                    ["code"] = CodeDirectory,
                    ["data"] = DataDirectory,
                    ["env"] = new SortedDictionary<string, object>(StringComparer.Ordinal) { ["conda"] = CondaFile, ["virtualenv"] = PythonEnvFile },
                    ["loader_module"] = LoaderModule,
                    ["python_version"] = PythonVersion,
                },
            },
            ["model_uuid"] = modelUuid.ToString("N"),
            ["run_id"] = runId,
            ["saved_input_example_info"] = new SortedDictionary<string, object>(StringComparer.Ordinal)
            {
                ["artifact_path"] = InputExampleFile,
                ["serving_input_path"] = ServingInputExampleFile,
                ["type"] = "ndarray",
            },
            ["signature"] = new SortedDictionary<string, object>(StringComparer.Ordinal)
            {
                ["inputs"] = InputSchema(manifest.WindowSize, manifest.FeatureNames.Count),
                ["outputs"] = OutputSchema(),
            },
            // str(datetime.utcnow()), as MLflow writes it.
            ["utc_time_created"] = createdAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture),
        };
        return Yaml(document);
    }

    static string CondaYaml() => Yaml(new SortedDictionary<string, object>(StringComparer.Ordinal)
    {
        ["channels"] = new[] { "conda-forge" },
        ["dependencies"] = new object[] { $"python={PythonVersion}", "pip", new Dictionary<string, object> { ["pip"] = Requirements } },
        ["name"] = "mlflow-env",
    });

    static string PythonEnvYaml() => Yaml(new Dictionary<string, object>
    {
        ["python"] = PythonVersion,
        ["build_dependencies"] = new[] { "pip", "setuptools", "wheel" },
        ["dependencies"] = new[] { $"-r {RequirementsFile}" },
    });

    static string Yaml(object document) =>
        new SerializerBuilder().WithEventEmitter(next => new QuoteWhatPyYamlWouldNotReadAsText(next)).Build().Serialize(document);

    /// <summary>
    /// MLflow reads MLmodel with PyYAML (YAML 1.1), which takes an unquoted <c>2026-12-02 17:30:05.123456</c> for a timestamp,
    /// an all-digit id for an int and <c>yes</c> for a boolean. So every string that starts like a number or a date, or is
    /// one of YAML 1.1's booleans or nulls, is single-quoted, as PyYAML's own dumper quotes it.
    /// </summary>
    sealed partial class QuoteWhatPyYamlWouldNotReadAsText(YamlDotNet.Serialization.IEventEmitter next)
        : YamlDotNet.Serialization.EventEmitters.ChainedEventEmitter(next)
    {
        public override void Emit(YamlDotNet.Serialization.ScalarEventInfo eventInfo, YamlDotNet.Core.IEmitter emitter)
        {
            if (eventInfo.Source.Value is string text && eventInfo.Style is YamlDotNet.Core.ScalarStyle.Any or YamlDotNet.Core.ScalarStyle.Plain
                && Ambiguous().IsMatch(text))
                eventInfo.Style = YamlDotNet.Core.ScalarStyle.SingleQuoted;
            base.Emit(eventInfo, emitter);
        }

        [System.Text.RegularExpressions.GeneratedRegex(@"^(?:[-+.0-9].*|(?i:y|n|yes|no|true|false|on|off|null)|~|<<|=|)$",
            System.Text.RegularExpressions.RegexOptions.Singleline)]
        private static partial System.Text.RegularExpressions.Regex Ambiguous();
    }

    /// <summary>Everything the loader needs to compute the fleet's probabilities, and where the model came from.</summary>
    static JsonObject Config(LoadedModel model)
    {
        var m = model.Manifest;
        var scaler = m.Scaler;
        return new JsonObject
        {
            ["format"] = ConfigFormat,
            ["model_name"] = m.ModelName,
            ["series"] = m.Training.Series,
            ["created_at"] = m.CreatedAt.ToString("O", CultureInfo.InvariantCulture),
            ["artifact_sha256"] = model.Sha256,
            ["feature_spec"] = m.FeatureSpecId,
            ["feature_names"] = new JsonArray([.. m.FeatureNames.Select(n => (JsonNode)n)]),
            ["window_size"] = m.WindowSize,
            ["hidden_size"] = m.HiddenSize,
            ["num_layers"] = m.NumLayers,
            ["dropout"] = m.Dropout,
            ["classes"] = new JsonArray([.. m.ClassNames.Select(n => (JsonNode)n)]),
            // float32 values written as the doubles they equal, so that Python reads back the same float32.
            ["scaler"] = new JsonObject
            {
                ["mean"] = new JsonArray([.. scaler.Mean.Select(v => (JsonNode)(double)v)]),
                ["std"] = new JsonArray([.. scaler.Std.Select(v => (JsonNode)(double)v)]),
                ["clip"] = (double)scaler.Clip,
            },
            ["temperature"] = model.Temperature,
            ["labels"] = new JsonObject
            {
                ["horizon"] = m.Labels.Horizon, ["fixed_threshold"] = m.Labels.FixedThreshold, ["volatility_scale"] = m.Labels.VolatilityScale,
            },
            ["hyperparameters"] = new JsonObject(m.Hyperparameters.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value))),
            ["weights"] = WeightsFile,
            ["onednn_max_cpu_isa"] = TorchRuntime.OneDnnIsa,
            ["test_window"] = new JsonObject
            {
                ["from"] = m.Training.TestFrom?.ToString("O", CultureInfo.InvariantCulture), ["to"] = m.Training.TestTo?.ToString("O", CultureInfo.InvariantCulture),
            },
        };
    }

    /// <summary>The windows as nested JSON arrays (n × window × features) of the doubles equal to the float32 values.</summary>
    static JsonArray Windows(FeatureWindows windows)
    {
        var result = new JsonArray();
        for (var n = 0; n < windows.Count; n++)
        {
            var window = windows[n];
            var rows = new JsonArray();
            for (var t = 0; t < windows.Window; t++)
            {
                var row = new JsonArray();
                foreach (var v in window.Slice(t * windows.Features, windows.Features))
                {
                    if (!float.IsFinite(v))
                        throw new ArgumentException("an input example holds finite features only (a JSON number cannot be NaN)", nameof(windows));
                    row.Add((double)v);
                }

                rows.Add(row);
            }

            result.Add(rows);
        }

        return result;
    }

    static byte[] Weights(SignalPredictor model)
    {
        using var stream = new MemoryStream();
        model.save_py(stream, leaveOpen: true);
        return stream.ToArray();
    }

    /// <summary>The loader module's source, embedded in this assembly (Modeling/Python/neuraltrade_signal.py).</summary>
    public static byte[] LoaderSource()
    {
        using var stream = typeof(MlflowModel).Assembly.GetManifestResourceStream($"{LoaderModule}.py")
            ?? throw new InvalidOperationException($"{LoaderModule}.py is not embedded in {typeof(MlflowModel).Assembly.GetName().Name}");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
