using System.Threading.Channels;
using Microsoft.Extensions.Options;
using NeuralTrade.Events.Modeling;
using static TorchSharp.torch;

namespace NeuralTrade.Events.Workers.Inference;

/// <summary>
/// Dynamic batching: concurrent predictions queue here and <see cref="InferenceOptions.ForwardThreads"/> threads (two by
/// default) run them, each grouping what it finds queued for one model, and what arrives within
/// <see cref="InferenceOptions.MaxBatchDelayMs"/> (up to <see cref="InferenceOptions.MaxBatchSize"/>), into one forward
/// pass. All TorchSharp work of serving happens on those threads (dispose scopes are per thread).
/// </summary>
public sealed partial class BatchingPredictor : IHostedService
{
    readonly Channel<Work> _queue;
    readonly InferenceOptions _options;
    readonly ILogger<BatchingPredictor> _logger;
    Thread[] _threads = [];

    public BatchingPredictor(IOptions<InferenceOptions> options, ILogger<BatchingPredictor> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value;
        _logger = logger;
        _queue = Channel.CreateUnbounded<Work>(new UnboundedChannelOptions { SingleReader = _options.ForwardThreads == 1 });
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
        _threads = [.. Enumerable.Range(0, _options.ForwardThreads)
            .Select(i => new Thread(Run) { IsBackground = true, Name = _options.ForwardThreads == 1 ? "inference-batcher" : $"inference-batcher-{i}" })];
        foreach (var thread in _threads)
            thread.Start();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _queue.Writer.TryComplete();
        foreach (var thread in _threads)
            thread.Join(TimeSpan.FromSeconds(10));
        return Task.CompletedTask;
    }

    void Run()
    {
        // libtorch's intra-op thread count is per OS thread (OpenMP's and MKL's settings are thread-local): a thread that
        // never sets it runs with one thread per core, which on 2 shared cores makes a batch-1 LSTM forward ~4× slower.
        if (_options.TorchThreads > 0)
            TorchSharp.torch.set_num_threads(_options.TorchThreads);
        var batch = new List<Work>(_options.MaxBatchSize);
        var reader = _queue.Reader;
        Work? carried = null;
        while (carried is not null || reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
        {
            batch.Clear();
            if (carried is not null)
            {
                batch.Add(carried);
                carried = null;
            }
            else if (!reader.TryRead(out var first))
                continue;
            else
                batch.Add(first);

            // One forward pass is one model: a batch takes what is queued for the first request's model. A request for
            // another model (at a close, every series has its own) ends the batch and starts this thread's next one, so
            // the other forward threads take the rest of the queue meanwhile instead of waiting behind one thread.
            var model = batch[0].Model;
            var deadline = DateTime.UtcNow.AddMilliseconds(_options.MaxBatchDelayMs);
            while (batch.Count < _options.MaxBatchSize)
            {
                if (reader.TryRead(out var next))
                {
                    if (next.Model == model)
                    {
                        batch.Add(next);
                        continue;
                    }

                    carried = next;
                    break;
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

            Forward(model, batch);
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
            var probabilities = Predictor.PredictProbabilities(served.Model.Model, windows, group.Count, manifest.WindowSize,
                manifest.FeatureNames.Count, group.Count, CPU, served.Model.Temperature);
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
