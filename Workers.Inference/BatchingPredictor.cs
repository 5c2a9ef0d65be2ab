using System.Threading.Channels;
using Microsoft.Extensions.Options;
using NeuralTrade.Events.Modeling;
using static TorchSharp.torch;

namespace NeuralTrade.Events.Workers.Inference;

/// <summary>
/// Dynamic batching: concurrent predictions queue here and one thread runs them, grouping what arrives within
/// <see cref="InferenceOptions.MaxBatchDelayMs"/> (up to <see cref="InferenceOptions.MaxBatchSize"/>) into one forward
/// pass per model. All TorchSharp work of serving happens on that thread (dispose scopes are per thread).
/// </summary>
public sealed partial class BatchingPredictor : IHostedService
{
    readonly Channel<Work> _queue = Channel.CreateUnbounded<Work>(new UnboundedChannelOptions { SingleReader = true });
    readonly InferenceOptions _options;
    readonly ILogger<BatchingPredictor> _logger;
    Thread? _thread;

    public BatchingPredictor(IOptions<InferenceOptions> options, ILogger<BatchingPredictor> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value;
        _logger = logger;
    }

    sealed record Work(ServedModel Model, float[] Window, TaskCompletionSource<float[]> Result);

    /// <summary>Class probabilities (sell, hold, buy) of one scaled window on the leased model.</summary>
    public Task<float[]> PredictAsync(ModelLease lease, float[] window)
    {
        ArgumentNullException.ThrowIfNull(lease);
        var work = new Work(lease.Served, window, new TaskCompletionSource<float[]>(TaskCreationOptions.RunContinuationsAsynchronously));
        if (!_queue.Writer.TryWrite(work))
            work.Result.SetException(new InvalidOperationException("the predictor is stopping"));
        return work.Result.Task;
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (_options.TorchThreads > 0)
            TorchSharp.torch.set_num_threads(_options.TorchThreads);
        _thread = new Thread(Run) { IsBackground = true, Name = "inference-batcher" };
        _thread.Start();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _queue.Writer.TryComplete();
        _thread?.Join(TimeSpan.FromSeconds(10));
        return Task.CompletedTask;
    }

    void Run()
    {
        var batch = new List<Work>(_options.MaxBatchSize);
        var reader = _queue.Reader;
        while (reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
        {
            batch.Clear();
            if (!reader.TryRead(out var first))
                continue;
            batch.Add(first);
            var deadline = DateTime.UtcNow.AddMilliseconds(_options.MaxBatchDelayMs);
            while (batch.Count < _options.MaxBatchSize)
            {
                if (reader.TryRead(out var next))
                {
                    batch.Add(next);
                    continue;
                }

                var left = deadline - DateTime.UtcNow;
                if (left <= TimeSpan.Zero)
                    break;
                using var wait = new CancellationTokenSource(left);
                try
                {
                    if (!reader.WaitToReadAsync(wait.Token).AsTask().GetAwaiter().GetResult())
                        break;
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }

            foreach (var group in batch.GroupBy(w => w.Model))
                Forward(group.Key, group.ToList());
        }
    }

    void Forward(ServedModel served, List<Work> group)
    {
        try
        {
            var per = group[0].Window.Length;
            var windows = new float[group.Count * per];
            for (var i = 0; i < group.Count; i++)
                group[i].Window.CopyTo(windows, i * per);
            var manifest = served.Model.Manifest;
            var probabilities = SignalTrainer.PredictProbabilities(served.Model.Model, windows, group.Count, manifest.WindowSize,
                manifest.FeatureNames.Count, group.Count, CPU);
            InferenceTelemetry.BatchSize.Record(group.Count);
            for (var i = 0; i < group.Count; i++)
                group[i].Result.SetResult(probabilities.AsSpan(i * 3, 3).ToArray());
        }
        catch (Exception e)
        {
            LogForwardFailed(served.Name, served.Version, e.Message);
            foreach (var work in group)
                work.Result.TrySetException(e);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Forward pass of {ModelName} v{Version} failed: {Error}")]
    partial void LogForwardFailed(string modelName, int version, string error);
}
