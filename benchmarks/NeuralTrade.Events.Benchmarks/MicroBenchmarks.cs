using System.Text.Json;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Engines;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Loggers;
using BenchmarkDotNet.Mathematics;
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
    double Batch32MeanMs, double Batch32PerSecond, int Batch32Threads, double SingleMeanMs, double SingleP50Ms, double SingleP99Ms, int SingleSamples,
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
    internal static int WorkerThreads = 1;

    public static MicroFigures Run(byte[] artifact, List<Candle> market, int workerThreads, string artifactsPath, Action<string> log)
    {
        using var model = ModelArtifact.Read(artifact, null);
        Model = model;
        Market = market;
        WorkerThreads = workerThreads;
        try
        {
            var config = ManualConfig.CreateEmpty()
                .AddLogger(new ProgressLogger(log))
                .AddColumnProvider(DefaultConfig.Instance.GetColumnProviders().ToArray())
                .WithArtifactsPath(artifactsPath)
                .WithOptions(ConfigOptions.DisableLogFile)
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

            set_num_threads(workerThreads);
            BenchmarkReport Report(IEnumerable<Summary> summaries, Type type, string method, int? threads = null) =>
                summaries.SelectMany(s => s.Reports).Where(r => r.BenchmarkCase.Descriptor.Type == type
                                                                && r.BenchmarkCase.Descriptor.WorkloadMethod.Name == method
                                                                && (threads is null || r.BenchmarkCase.Parameters["TorchThreads"] is int t && t == threads)
                                                                && r.ResultStatistics is not null)
                    .MinBy(r => r.ResultStatistics!.Mean)
                ?? throw new InvalidOperationException($"BenchmarkDotNet has no result for {type.Name}.{method}; see its output above");
            Statistics Result(IEnumerable<Summary> summaries, Type type, string method, int? threads = null) =>
                Report(summaries, type, method, threads).ResultStatistics!;
            // The bound is the best the model does in process: the faster of the thread settings.
            var batchReport = Report(throughput, typeof(ForwardBenchmarks), nameof(ForwardBenchmarks.Forward_batch_32));
            var batch = batchReport.ResultStatistics!.Mean;
            var single = Result([latency], typeof(SingleForwardLatency), nameof(SingleForwardLatency.Forward_single));
            return new MicroFigures(
                batch / 1e6, 32 / (batch / 1e9), (int)batchReport.BenchmarkCase.Parameters["TorchThreads"],
                Result(throughput, typeof(ForwardBenchmarks), nameof(ForwardBenchmarks.Forward_single), workerThreads).Mean / 1e6,
                single.Percentiles.P50 / 1e6, single.Percentiles.Percentile(99) / 1e6, single.N,
                Result(throughput, typeof(HotPathBenchmarks), nameof(HotPathBenchmarks.Features_for_one_window)).Mean / 1e3,
                Result(throughput, typeof(HotPathBenchmarks), nameof(HotPathBenchmarks.Read_and_validate_a_message)).Mean / 1e3,
                HotPathBenchmarks.MessageCandles);
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
            if (line.StartsWith('|') || line.StartsWith("// Benchmark:", StringComparison.Ordinal))
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

/// <summary>The served model and one window of the market, scaled as the Inference worker scales it.</summary>
public abstract class ForwardSetup
{
    protected float[] _batch = [];
    protected float[] _window = [];
    protected LoadedModel _model = null!;

    /// <summary>libtorch's intra-op threads for the run.</summary>
    protected abstract int Threads { get; }

    [GlobalSetup]
    public void Setup()
    {
        set_num_threads(Threads);
        _model = MicroBenchmarks.Model ?? throw new InvalidOperationException("MicroBenchmarks.Run sets the model");
        _window = ServingWindow.Latest(_model, MicroBenchmarks.Market);
        _batch = new float[32 * _window.Length];
        for (var i = 0; i < 32; i++)
            _window.CopyTo(_batch, i * _window.Length);
    }
}

/// <summary>The served model's forward pass: a full batch (the dynamic batcher's maximum) and a single window.</summary>
public class ForwardBenchmarks : ForwardSetup
{
    /// <summary>libtorch's intra-op threads: 1 is the Inference worker's default (<c>Inference:TorchThreads</c>).</summary>
    [Params(1, 2)]
    public int TorchThreads { get; set; } = 1;

    protected override int Threads => TorchThreads;

    [Benchmark]
    public float[] Forward_batch_32() =>
        Predictor.PredictProbabilities(_model.Model, _batch, 32, _model.Manifest.WindowSize, _model.Manifest.FeatureNames.Count, 32, CPU);

    [Benchmark]
    public float[] Forward_single() =>
        Predictor.PredictProbabilities(_model.Model, _window, 1, _model.Manifest.WindowSize, _model.Manifest.FeatureNames.Count, 1, CPU);
}

/// <summary>One forward of one window per iteration, with the worker's thread setting: the distribution (p50, p99) of a single call.</summary>
public class SingleForwardLatency : ForwardSetup
{
    protected override int Threads => MicroBenchmarks.WorkerThreads;

    [Benchmark]
    public float[] Forward_single() =>
        Predictor.PredictProbabilities(_model.Model, _window, 1, _model.Manifest.WindowSize, _model.Manifest.FeatureNames.Count, 1, CPU);
}

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
