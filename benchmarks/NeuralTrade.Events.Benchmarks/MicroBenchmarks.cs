using System.Text.Json;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Engines;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Loggers;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using NeuralTrade.Events.Contracts;
using NeuralTrade.Events.MarketData;
using NeuralTrade.Events.Modeling;
using static TorchSharp.torch;

namespace NeuralTrade.Events.Benchmarks;

/// <summary>What the in-process micro-benchmarks measured: the bounds the fleet figures are divided by, and the hot paths.</summary>
public sealed record MicroFigures(
    double Batch32MeanMs, double Batch32PerSecond, double SingleMeanMs, double SingleP50Ms, double SingleP99Ms, int SingleSamples,
    double FeaturesMeanUs, double ValidateMeanUs, int ValidateCandles);

/// <summary>
/// The in-process micro-benchmarks, run by BenchmarkDotNet in this process (its in-process toolchain: the model and the
/// native libtorch are already loaded, nothing is rebuilt). The forward passes are those the Inference worker makes; the
/// single forward is measured one call per iteration so that its percentiles are per call.
/// </summary>
public static class MicroBenchmarks
{
    internal static LoadedModel? Model;
    internal static List<Candle> Market = [];

    public static MicroFigures Run(byte[] artifact, List<Candle> market, string artifactsPath, Action<string> log)
    {
        using var model = ModelArtifact.Read(artifact, null);
        Model = model;
        Market = market;
        try
        {
            var config = ManualConfig.CreateEmpty()
                .AddLogger(new ProgressLogger(log))
                .AddColumnProvider(DefaultConfig.Instance.GetColumnProviders().ToArray())
                .WithArtifactsPath(artifactsPath)
                .WithOptions(ConfigOptions.DisableLogFile | ConfigOptions.JoinSummary)
                .AddJob(Job.Default.WithToolchain(InProcessEmitToolchain.Instance).WithWarmupCount(3).WithIterationCount(15).WithId("throughput"));
            var throughput = BenchmarkRunner.Run([typeof(ForwardBenchmarks), typeof(HotPathBenchmarks)], config);
            var latencyConfig = ManualConfig.CreateEmpty()
                .AddLogger(new ProgressLogger(log))
                .AddColumnProvider(DefaultConfig.Instance.GetColumnProviders().ToArray())
                .WithArtifactsPath(artifactsPath)
                .WithOptions(ConfigOptions.DisableLogFile)
                .AddJob(Job.Default.WithToolchain(InProcessEmitToolchain.Instance).WithStrategy(RunStrategy.Monitoring)
                    .WithInvocationCount(1).WithUnrollFactor(1).WithWarmupCount(20).WithIterationCount(400).WithId("per-call"));
            var latency = BenchmarkRunner.Run<SingleForwardLatency>(latencyConfig);

            BenchmarkReport Report(Summary summary, string method) => summary.Reports.Single(r => r.BenchmarkCase.Descriptor.WorkloadMethod.Name == method);
            double MeanNs(Summary summary, string method) => Report(summary, method).ResultStatistics?.Mean
                ?? throw new InvalidOperationException($"BenchmarkDotNet has no result for {method}; see its output above");
            var batch = MeanNs(throughput[0], nameof(ForwardBenchmarks.Forward_batch_32));
            var single = Report(latency, nameof(SingleForwardLatency.Forward_single)).ResultStatistics
                ?? throw new InvalidOperationException("BenchmarkDotNet has no result for the single forward");
            return new MicroFigures(
                batch / 1e6, 32 / (batch / 1e9), MeanNs(throughput[0], nameof(ForwardBenchmarks.Forward_single)) / 1e6,
                single.Percentiles.P50 / 1e6, single.Percentiles.Percentile(99) / 1e6, single.N,
                MeanNs(throughput[1], nameof(HotPathBenchmarks.Features_for_one_window)) / 1e3,
                MeanNs(throughput[1], nameof(HotPathBenchmarks.Read_and_validate_a_message)) / 1e3, HotPathBenchmarks.MessageCandles);
        }
        finally
        {
            Model = null;
        }
    }

    /// <summary>BenchmarkDotNet's log to the console line by line, less its per-iteration chatter.</summary>
    sealed class ProgressLogger(Action<string> log) : ILogger
    {
        readonly System.Text.StringBuilder _line = new();
        public string Id => "neuraltrade";
        public int Priority => 0;

        public void Write(LogKind logKind, string text) => _line.Append(text);

        public void WriteLine()
        {
            var line = _line.ToString();
            _line.Clear();
            if (line.StartsWith('|') || line.StartsWith("// *", StringComparison.Ordinal) || line.StartsWith("// Benchmark:", StringComparison.Ordinal))
                log(line);
        }

        public void WriteLine(LogKind logKind, string text)
        {
            Write(logKind, text);
            WriteLine();
        }

        public void Flush()
        {
        }
    }
}

/// <summary>The served model's forward pass: a full batch (the dynamic batcher's maximum) and a single window.</summary>
public class ForwardBenchmarks
{
    float[] _batch = [];
    float[] _window = [];
    LoadedModel _model = null!;

    [GlobalSetup]
    public void Setup()
    {
        _model = MicroBenchmarks.Model ?? throw new InvalidOperationException("MicroBenchmarks.Run sets the model");
        _window = ServingWindow.Latest(_model, MicroBenchmarks.Market);
        _batch = new float[32 * _window.Length];
        for (var i = 0; i < 32; i++)
            _window.CopyTo(_batch, i * _window.Length);
    }

    [Benchmark]
    public float[] Forward_batch_32() =>
        SignalTrainer.PredictProbabilities(_model.Model, _batch, 32, _model.Manifest.WindowSize, _model.Manifest.FeatureNames.Count, 32, CPU);

    [Benchmark]
    public float[] Forward_single() =>
        SignalTrainer.PredictProbabilities(_model.Model, _window, 1, _model.Manifest.WindowSize, _model.Manifest.FeatureNames.Count, 1, CPU);
}

/// <summary>One forward of one window per iteration: the distribution (p50, p99) of a single call.</summary>
public class SingleForwardLatency : ForwardBenchmarks;

/// <summary>The hot paths around the model: features of one window (shared by training, inference and monitor) and Ingest's read and validation of a message.</summary>
public class HotPathBenchmarks
{
    public const int MessageCandles = 100;
    LoadedModel _model = null!;
    List<Candle> _recent = [];
    byte[] _message = [];
    readonly CandleValidator _validator = new(new CandleRules(), TimeProvider.System);

    [GlobalSetup]
    public void Setup()
    {
        _model = MicroBenchmarks.Model ?? throw new InvalidOperationException("MicroBenchmarks.Run sets the model");
        _recent = MicroBenchmarks.Market.TakeLast(ServingWindow.CandlesWanted(_model)).ToList();
        _message = JsonSerializer.SerializeToUtf8Bytes(new MarketCandles { Candles = MicroBenchmarks.Market.TakeLast(MessageCandles).ToList() }, ContractJson.Options);
    }

    [Benchmark]
    public float[] Features_for_one_window() => ServingWindow.Latest(_model, _recent);

    [Benchmark]
    public int Read_and_validate_a_message()
    {
        using var document = JsonDocument.Parse(_message);
        var valid = 0;
        var index = 0;
        foreach (var element in document.RootElement.GetProperty("candles").EnumerateArray())
        {
            if (_validator.Read(element, index++).Candle is not null)
                valid++;
        }

        return valid;
    }
}
