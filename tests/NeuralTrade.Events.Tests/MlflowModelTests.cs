using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using NeuralTrade.Events.Modeling;
using NeuralTrade.Events.Testing;
using YamlDotNet.RepresentationModel;
using static TorchSharp.torch;

namespace NeuralTrade.Events.Tests;

/// <summary>
/// The MLflow model directory (<see cref="MlflowModel"/>) of the small trained test model: its layout against MLflow's
/// MLmodel format, and its probabilities computed by Debian's PyTorch through the loader module, as MLflow's pyfunc
/// loads it, against the fleet's on the same windows.
/// </summary>
[NonParallelizable]
public sealed class MlflowModelTests
{
    const string Python = "/usr/bin/python3";
    static readonly string RunId = "0123456789abcdef0123456789abcdef";
    static readonly Guid Uuid = Guid.Parse("5f1b8a56-7a0e-4f43-8c1d-0e7c2b1d9a11");
    static readonly DateTimeOffset Created = new DateTimeOffset(2026, 12, 2, 17, 30, 5, 123, TimeSpan.Zero).AddTicks(4560);

    string _directory = "";
    LoadedModel _model = null!;

    [OneTimeSetUp]
    public void Build()
    {
        _model = ModelArtifact.Read(TrainedModels.Outcome.Artifact, TrainedModels.Outcome.Sha256);
        _directory = Path.Combine(Path.GetTempPath(), "neuraltrade-mlflow-model-" + Guid.NewGuid().ToString("N")[..8]);
        MlflowModel.WriteTo(MlflowModel.Build(_model, TrainedModels.Outcome.InputExample!, RunId, Created, Uuid), _directory);
    }

    [OneTimeTearDown]
    public void CleanUp()
    {
        _model.Dispose();
        if (Directory.Exists(_directory))
            Directory.Delete(_directory, recursive: true);
    }

    static YamlMappingNode Yaml(string path)
    {
        var stream = new YamlStream();
        using var reader = new StreamReader(path);
        stream.Load(reader);
        return (YamlMappingNode)stream.Documents.Single().RootNode;
    }

    static string Scalar(YamlMappingNode node, string key) => ((YamlScalarNode)node[key]).Value!;

    YamlMappingNode Pyfunc(YamlMappingNode mlmodel) => (YamlMappingNode)((YamlMappingNode)mlmodel["flavors"])["python_function"];

    [Test]
    public void The_directory_holds_an_MLmodel_with_a_python_function_flavor_as_MLflow_documents_it()
    {
        TestContext.Out.WriteLine(File.ReadAllText(Path.Combine(_directory, "MLmodel")));
        var mlmodel = Yaml(Path.Combine(_directory, "MLmodel"));
        var pyfunc = Pyfunc(mlmodel);
        var keys = mlmodel.Children.Keys.Select(k => ((YamlScalarNode)k).Value).ToList();

        Assert.Multiple(() =>
        {
            Assert.That(keys, Is.EquivalentTo(new[]
                { "artifact_path", "flavors", "model_uuid", "run_id", "saved_input_example_info", "signature", "utc_time_created" }));
            Assert.That(keys, Is.Ordered, "sorted, as MLflow's yaml.safe_dump writes them");
            Assert.That(Scalar(mlmodel, "artifact_path"), Is.EqualTo("model"));
            Assert.That(Scalar(mlmodel, "run_id"), Is.EqualTo(RunId));
            Assert.That(Scalar(mlmodel, "model_uuid"), Is.EqualTo(Uuid.ToString("N")).And.Match("^[0-9a-f]{32}$"));
            Assert.That(Scalar(mlmodel, "utc_time_created"), Is.EqualTo("2026-12-02 17:30:05.123456"), "str(datetime.utcnow())");
            // Quoted, or PyYAML (YAML 1.1) would read a timestamp and numbers where MLflow writes strings.
            Assert.That(((YamlScalarNode)mlmodel["utc_time_created"]).Style, Is.EqualTo(YamlDotNet.Core.ScalarStyle.SingleQuoted));
            Assert.That(((YamlScalarNode)mlmodel["run_id"]).Style, Is.EqualTo(YamlDotNet.Core.ScalarStyle.SingleQuoted), "it starts with a digit");
            Assert.That(((YamlScalarNode)pyfunc["python_version"]).Style, Is.EqualTo(YamlDotNet.Core.ScalarStyle.SingleQuoted));
            Assert.That(((YamlScalarNode)pyfunc["loader_module"]).Style, Is.EqualTo(YamlDotNet.Core.ScalarStyle.Plain));
            Assert.That(((YamlMappingNode)mlmodel["flavors"]).Children.Keys.Select(k => ((YamlScalarNode)k).Value), Is.EqualTo(new[] { "python_function" }));

            Assert.That(Scalar(pyfunc, "loader_module"), Is.EqualTo("neuraltrade_signal"));
            Assert.That(Scalar(pyfunc, "code"), Is.EqualTo("code"));
            Assert.That(Scalar(pyfunc, "data"), Is.EqualTo("data"));
            Assert.That(Scalar(pyfunc, "python_version"), Does.Match(@"^3\.\d+\.\d+$"));
            var env = (YamlMappingNode)pyfunc["env"];
            Assert.That(Scalar(env, "conda"), Is.EqualTo("conda.yaml"));
            Assert.That(Scalar(env, "virtualenv"), Is.EqualTo("python_env.yaml"));
        });
        foreach (var file in new[] { "code/neuraltrade_signal.py", "data/config.json", "data/state_dict.pt", "input_example.json",
                     "serving_input_example.json", "conda.yaml", "python_env.yaml", "requirements.txt" })
            Assert.That(File.Exists(Path.Combine(_directory, file)), Is.True, file);
        Assert.That(File.ReadAllBytes(Path.Combine(_directory, "code/neuraltrade_signal.py")), Is.EqualTo(MlflowModel.LoaderSource()));
    }

    [Test]
    public void The_signature_is_MLflow_tensor_spec_json_and_the_input_example_matches_it()
    {
        var mlmodel = Yaml(Path.Combine(_directory, "MLmodel"));
        var signature = (YamlMappingNode)mlmodel["signature"];
        var inputs = JsonNode.Parse(Scalar(signature, "inputs"))!.AsArray();
        var outputs = JsonNode.Parse(Scalar(signature, "outputs"))!.AsArray();
        var window = _model.Manifest.WindowSize;
        var features = _model.Manifest.FeatureNames.Count;

        Assert.That(inputs, Has.Count.EqualTo(1));
        Assert.That(inputs[0]!["type"]!.GetValue<string>(), Is.EqualTo("tensor"));
        Assert.That(inputs[0]!["tensor-spec"]!["dtype"]!.GetValue<string>(), Is.EqualTo("float32"));
        Assert.That(inputs[0]!["tensor-spec"]!["shape"]!.AsArray().Select(d => d!.GetValue<int>()), Is.EqualTo(new[] { -1, window, features }));
        Assert.That(outputs, Has.Count.EqualTo(1));
        Assert.That(outputs[0]!["tensor-spec"]!["dtype"]!.GetValue<string>(), Is.EqualTo("float32"));
        Assert.That(outputs[0]!["tensor-spec"]!["shape"]!.AsArray().Select(d => d!.GetValue<int>()), Is.EqualTo(new[] { -1, 3 }));

        // saved_input_example_info as MLflow's _Example writes an ndarray: the array itself, and {"inputs": array} to serve.
        var info = (YamlMappingNode)mlmodel["saved_input_example_info"];
        Assert.That(Scalar(info, "type"), Is.EqualTo("ndarray"));
        var example = JsonNode.Parse(File.ReadAllText(Path.Combine(_directory, Scalar(info, "artifact_path"))))!.AsArray();
        var serving = JsonNode.Parse(File.ReadAllText(Path.Combine(_directory, Scalar(info, "serving_input_path"))))!;
        Assert.That(JsonNode.DeepEquals(serving["inputs"], example), Is.True);
        Assert.That(example, Has.Count.EqualTo(MlflowModel.InputExampleWindows));
        Assert.That(example.Select(w => w!.AsArray().Count), Is.All.EqualTo(window));
        Assert.That(example.SelectMany(w => w!.AsArray()).Select(r => r!.AsArray().Count), Is.All.EqualTo(features));

        // Real windows of the run's test split: the last test samples' unscaled features, as the fleet computes them.
        var expected = TrainedModels.Outcome.InputExample!;
        var values = example.SelectMany(w => w!.AsArray()).SelectMany(r => r!.AsArray()).Select(v => (float)v!.GetValue<double>()).ToArray();
        Assert.That(values, Is.EqualTo(expected.Values));
        var data = SignalDataset.Build(TrainedModels.Market, window, _model.Manifest.Labels);
        var split = data.Split(TrainedModels.Tiny.TrainFraction, TrainedModels.Tiny.ValidationFraction);
        Assert.That(expected.Values, Is.EqualTo(FeatureWindows.Of(data, split.Test.TakeLast(MlflowModel.InputExampleWindows).ToList()).Values));
    }

    [Test]
    public void Config_and_environment_carry_what_the_loader_needs()
    {
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(_directory, "data/config.json")))!;
        var m = _model.Manifest;
        Assert.Multiple(() =>
        {
            Assert.That(config["format"]!.GetValue<int>(), Is.EqualTo(MlflowModel.ConfigFormat));
            Assert.That(config["artifact_sha256"]!.GetValue<string>(), Is.EqualTo(TrainedModels.Outcome.Sha256));
            Assert.That(config["series"]!.GetValue<string>(), Is.EqualTo(TrainedModels.Series.ToString()));
            Assert.That(config["feature_spec"]!.GetValue<string>(), Is.EqualTo("ohlcv-v1"));
            Assert.That(config["feature_names"]!.AsArray().Select(n => n!.GetValue<string>()), Is.EqualTo(m.FeatureNames));
            Assert.That(config["classes"]!.AsArray().Select(n => n!.GetValue<string>()), Is.EqualTo(new[] { "sell", "hold", "buy" }));
            Assert.That((config["window_size"]!.GetValue<int>(), config["hidden_size"]!.GetValue<int>(), config["num_layers"]!.GetValue<int>()),
                Is.EqualTo((m.WindowSize, m.HiddenSize, m.NumLayers)));
            Assert.That(config["temperature"]!.GetValue<double>(), Is.EqualTo(_model.Temperature));
            Assert.That(config["scaler"]!["mean"]!.AsArray().Select(v => (float)v!.GetValue<double>()), Is.EqualTo(m.Scaler.Mean));
            Assert.That(config["scaler"]!["std"]!.AsArray().Select(v => (float)v!.GetValue<double>()), Is.EqualTo(m.Scaler.Std));
            Assert.That(config["scaler"]!["clip"]!.GetValue<double>(), Is.EqualTo(m.Scaler.Clip));
            Assert.That(config["labels"]!["horizon"]!.GetValue<int>(), Is.EqualTo(m.Labels.Horizon));
            Assert.That(config["weights"]!.GetValue<string>(), Is.EqualTo("state_dict.pt"));
        });

        var requirements = File.ReadAllLines(Path.Combine(_directory, "requirements.txt"));
        Assert.That(requirements, Has.Some.StartsWith("torch").And.Some.StartsWith("numpy"));
        var pythonEnv = Yaml(Path.Combine(_directory, "python_env.yaml"));
        Assert.That(((YamlSequenceNode)pythonEnv["dependencies"]).Children.Select(c => ((YamlScalarNode)c).Value), Is.EqualTo(new[] { "-r requirements.txt" }));
        Assert.That(Scalar(pythonEnv, "python"), Is.EqualTo(Scalar(Pyfunc(Yaml(Path.Combine(_directory, "MLmodel"))), "python_version")));
        var conda = Yaml(Path.Combine(_directory, "conda.yaml"));
        var pip = ((YamlSequenceNode)conda["dependencies"]).Children.OfType<YamlMappingNode>().Single();
        Assert.That(((YamlSequenceNode)pip["pip"]).Children.Select(c => ((YamlScalarNode)c).Value), Is.EqualTo(requirements));

        // The weights are a torch.save zip (PyTorch's format since 1.6): data.pkl and the tensors' storages.
        using var zip = new System.IO.Compression.ZipArchive(File.OpenRead(Path.Combine(_directory, "data/state_dict.pt")));
        Assert.That(zip.Entries.Select(e => e.FullName), Has.Some.EndsWith("/data.pkl"));
    }

    /// <summary>
    /// Windows to compare on: the input example (test split), the windows Inference builds from candles at several points of
    /// the market (<see cref="ServingWindow.LatestFeatures"/>), and one that exercises the scaler's edges (beyond the clip,
    /// NaN, infinities).
    /// </summary>
    FeatureWindows ParityWindows()
    {
        var example = TrainedModels.Outcome.InputExample!;
        var per = example.Window * example.Features;
        var values = new List<float>(example.Values);
        var market = TrainedModels.Market;
        var served = 0;
        foreach (var end in new[] { 800, 1_500, 2_200, market.Count })
        {
            values.AddRange(ServingWindow.LatestFeatures(_model, market.Take(end).ToList()));
            served++;
        }

        var edges = example[0].ToArray();
        edges[0] = 1e6f;
        edges[1] = -1e6f;
        edges[2] = float.NaN;
        edges[3] = float.PositiveInfinity;
        edges[4] = float.NegativeInfinity;
        values.AddRange(edges);
        return new FeatureWindows(values.ToArray(), example.Count + served + 1, example.Window, example.Features);
    }

    /// <summary>The fleet's probabilities: the scaler, then the path Inference uses (BatchingPredictor), with the temperature.</summary>
    float[] FleetProbabilities(FeatureWindows windows)
    {
        var scaled = windows.Values.ToArray();
        _model.Scaler.TransformInPlace(scaled);
        return Predictor.PredictProbabilities(_model.Model, scaled, windows.Count, windows.Window, windows.Features, windows.Count, CPU,
            _model.Temperature);
    }

    // What MLflow's pyfunc does with a loader_module (mlflow/pyfunc/__init__.py): put the flavor's `code` directory on
    // sys.path, import `loader_module`, call _load_pyfunc with the flavor's `data` directory, then predict.
    const string Script = """
        import importlib, json, os, sys
        model_dir, loader_module, code, data, windows_path, out_path = sys.argv[1:7]
        sys.path.insert(0, os.path.join(model_dir, code))
        loader = importlib.import_module(loader_module)
        model = loader._load_pyfunc(os.path.join(model_dir, data))
        import numpy as np, torch
        with open(windows_path) as f:
            windows = np.asarray(json.load(f), dtype=np.float32)  # json reads NaN and Infinity literals
        with open(os.path.join(model_dir, "input_example.json")) as f:
            example = np.asarray(json.load(f), dtype=np.float32)
        probabilities = model.predict(windows)
        with open(out_path, "w") as f:
            json.dump({"python": sys.version.split()[0], "torch": torch.__version__, "numpy": np.__version__,
                       "dtype": str(probabilities.dtype), "shape": list(probabilities.shape),
                       "probabilities": [float(v) for v in probabilities.ravel()],
                       "example": [float(v) for v in model.predict(example).ravel()]}, f)
        """;

    [Test]
    public async Task Debian_PyTorch_through_the_loader_module_gives_the_fleets_probabilities()
    {
        if (!File.Exists(Python))
            Assert.Fail($"{Python} is missing: `bash deploy/services.sh install` installs Debian's python3 and python3-torch");
        var pyfunc = Pyfunc(Yaml(Path.Combine(_directory, "MLmodel")));
        var windows = ParityWindows();
        var windowsPath = Path.Combine(_directory, "..", Path.GetFileName(_directory) + "-windows.json");
        var outPath = Path.Combine(_directory, "..", Path.GetFileName(_directory) + "-out.json");
        var scriptPath = Path.Combine(_directory, "..", Path.GetFileName(_directory) + "-parity.py");
        await File.WriteAllTextAsync(windowsPath, WindowsJson(windows));
        await File.WriteAllTextAsync(scriptPath, Script);
        try
        {
            var (code, output) = await RunAsync(scriptPath, _directory, Scalar(pyfunc, "loader_module"), Scalar(pyfunc, "code"), Scalar(pyfunc, "data"),
                windowsPath, outPath);
            if (output.Contains("No module named 'torch'", StringComparison.Ordinal) || output.Contains("No module named 'numpy'", StringComparison.Ordinal))
                Assert.Fail($"{Python} has no PyTorch: `bash deploy/services.sh install` installs Debian's python3-torch\n{output}");
            Assert.That(code, Is.Zero, output);

            var result = JsonNode.Parse(await File.ReadAllTextAsync(outPath))!;
            var python = result["probabilities"]!.AsArray().Select(v => v!.GetValue<double>()).ToArray();
            var fleet = FleetProbabilities(windows);
            Assert.That(result["dtype"]!.GetValue<string>(), Is.EqualTo("float32"));
            Assert.That(result["shape"]!.AsArray().Select(d => d!.GetValue<int>()), Is.EqualTo(new[] { windows.Count, 3 }));
            Assert.That(python, Has.Length.EqualTo(fleet.Length));
            var difference = fleet.Select((p, i) => Math.Abs(p - python[i])).Max();
            TestContext.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"PARITY {windows.Count} windows (window {windows.Window} × {windows.Features}, hidden {_model.Manifest.HiddenSize}, temperature " +
                $"{_model.Temperature:F4}): max |fleet − python| = {difference:E2}; python {result["python"]}, torch {result["torch"]}, numpy {result["numpy"]}"));
            Assert.That(difference, Is.LessThan(1e-5));
            Assert.That(SignalClasses.ArgMax(python.Select(v => (float)v).ToArray()), Is.EqualTo(SignalClasses.ArgMax(fleet)));
            // Every row is a distribution, the clipped/non-finite window included.
            for (var i = 0; i < windows.Count; i++)
                Assert.That(python.Skip(i * 3).Take(3).Sum(), Is.EqualTo(1).Within(1e-5));
            // The input example as MLflow hands it to predict (the first windows above, in a batch of their own).
            var example = result["example"]!.AsArray().Select(v => v!.GetValue<double>()).ToArray();
            Assert.That(example, Has.Length.EqualTo(MlflowModel.InputExampleWindows * 3));
            Assert.That(example.Select((p, i) => Math.Abs(p - fleet[i])).Max(), Is.LessThan(1e-5));
        }
        finally
        {
            foreach (var path in new[] { windowsPath, outPath, scriptPath })
                File.Delete(path);
        }
    }

    /// <summary>Nested JSON arrays of the float32 values as the doubles they equal; NaN and infinities as Python's json reads them.</summary>
    static string WindowsJson(FeatureWindows windows)
    {
        static string Number(float v) => float.IsNaN(v) ? "NaN" : float.IsPositiveInfinity(v) ? "Infinity" : float.IsNegativeInfinity(v) ? "-Infinity"
            : ((double)v).ToString("R", CultureInfo.InvariantCulture);
        var s = new StringBuilder("[");
        for (var n = 0; n < windows.Count; n++)
        {
            var window = windows[n].ToArray();
            s.Append(n == 0 ? "[" : ",[");
            for (var t = 0; t < windows.Window; t++)
                s.Append(t == 0 ? "[" : ",[").AppendJoin(',', window.Skip(t * windows.Features).Take(windows.Features).Select(Number)).Append(']');
            s.Append(']');
        }

        return s.Append(']').ToString();
    }

    static async Task<(int Code, string Output)> RunAsync(string script, params string[] arguments)
    {
        var start = new ProcessStartInfo(Python) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(script);
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, (await stdout) + (await stderr));
    }
}
