using System.Collections.Concurrent;
using MassTransit;
using NeuralTrade.Events.Contracts;
using NeuralTrade.Events.Workers.Ingest;

namespace NeuralTrade.Events.Fleet;

/// <summary>
/// Watches what the in-process workers consume and publish (MassTransit consume and publish observers), for the
/// live view, the pacing of the replay and the summary. It only reads: the workers talk through the bus as always.
/// </summary>
internal sealed class FleetObserver(TimeProvider time) : IConsumeObserver, IPublishObserver
{
    const int RecentPredictionCount = 8;
    const int EventLogCount = 10;

    long _messagesDone;
    long _messagesFaulted;
    long _accepted;
    long _rejected;
    long _ingestedEvents;
    long _ingestedConsumed;
    long _streamed;
    long _requestedAnswers;
    long _predictionFailures;
    long _faults;
    readonly object _gate = new();
    readonly LinkedList<PredictionCompleted> _recent = new();
    readonly LinkedList<string> _log = new();
    readonly List<string> _allEvents = [];
    readonly List<ModelDeployed> _deployed = [];
    readonly List<ModelRejected> _rejectedModels = [];
    readonly List<DriftDetected> _drift = [];
    readonly List<TrainingRequested> _trainingRequests = [];
    readonly List<TrainingCompleted> _trainingCompleted = [];
    readonly List<TrainingFailed> _trainingFailed = [];

    public ConcurrentDictionary<string, int> RejectionCodes { get; } = new(StringComparer.Ordinal);
    public ConcurrentDictionary<string, int> FaultsByMessage { get; } = new(StringComparer.Ordinal);
    public ConcurrentDictionary<(int Version, Signal Signal), int> SignalsByVersion { get; } = new();

    /// <summary>market.candles messages Ingest finished (stored, or rejected with reasons).</summary>
    public long MessagesDone => Interlocked.Read(ref _messagesDone);
    /// <summary>market.candles messages whose consumer failed for good (in the dead-letter queue).</summary>
    public long MessagesFaulted => Interlocked.Read(ref _messagesFaulted);
    public long Accepted => Interlocked.Read(ref _accepted);
    public long Rejected => Interlocked.Read(ref _rejected);
    public long IngestedEvents => Interlocked.Read(ref _ingestedEvents);
    /// <summary>data.ingested deliveries finished by Inference and Monitor together.</summary>
    public long IngestedConsumed => Interlocked.Read(ref _ingestedConsumed);
    public long Streamed => Interlocked.Read(ref _streamed);
    public long RequestedAnswers => Interlocked.Read(ref _requestedAnswers);
    public long PredictionFailures => Interlocked.Read(ref _predictionFailures);
    /// <summary>Messages of any type whose consumer faulted (they end in <c>&lt;queue&gt;_error</c>).</summary>
    public long Faults => Interlocked.Read(ref _faults);

    public IReadOnlyList<PredictionCompleted> RecentPredictions { get { lock (_gate) return [.. _recent]; } }
    public IReadOnlyList<string> EventLog { get { lock (_gate) return [.. _log]; } }
    public IReadOnlyList<ModelDeployed> Deployed { get { lock (_gate) return [.. _deployed]; } }
    public IReadOnlyList<ModelRejected> ModelsRejected { get { lock (_gate) return [.. _rejectedModels]; } }
    public IReadOnlyList<DriftDetected> Drift { get { lock (_gate) return [.. _drift]; } }
    public IReadOnlyList<TrainingRequested> TrainingRequests { get { lock (_gate) return [.. _trainingRequests]; } }
    public IReadOnlyList<TrainingCompleted> TrainingCompletedEvents { get { lock (_gate) return [.. _trainingCompleted]; } }
    public IReadOnlyList<TrainingFailed> TrainingFailedEvents { get { lock (_gate) return [.. _trainingFailed]; } }

    /// <summary>Every event line from <paramref name="index"/> on, oldest first (for consoles that cannot redraw).</summary>
    public IReadOnlyList<string> EventsSince(int index) { lock (_gate) return _allEvents.Skip(index).ToList(); }

    /// <summary>The decision on a training request: the model it deployed, the rejection, or the failure; null while pending.</summary>
    public string? OutcomeOf(Guid requestId)
    {
        lock (_gate)
        {
            if (_trainingFailed.FirstOrDefault(f => f.RequestId == requestId) is { } failed)
                return $"training failed: {failed.Error}";
            var run = _trainingCompleted.FirstOrDefault(c => c.RequestId == requestId)?.RunId;
            if (run is null)
                return null;
            if (_deployed.FirstOrDefault(d => d.RunId == run) is { } deployed)
                return $"deployed as v{deployed.Version}";
            if (_rejectedModels.FirstOrDefault(r => r.RunId == run) is { } rejected)
                return $"rejected by the gate: {rejected.Reason}";
            return null;
        }
    }

    public Task PreConsume<T>(ConsumeContext<T> context) where T : class => Task.CompletedTask;

    public Task PostConsume<T>(ConsumeContext<T> context) where T : class
    {
        if (typeof(T) == typeof(IncomingCandles))
            Interlocked.Increment(ref _messagesDone);
        else if (typeof(T) == typeof(DataIngested))
            Interlocked.Increment(ref _ingestedConsumed);
        return Task.CompletedTask;
    }

    public Task ConsumeFault<T>(ConsumeContext<T> context, Exception exception) where T : class
    {
        Interlocked.Increment(ref _faults);
        FaultsByMessage.AddOrUpdate(typeof(T).Name, 1, (_, n) => n + 1);
        if (typeof(T) == typeof(IncomingCandles))
            Interlocked.Increment(ref _messagesFaulted);
        else if (typeof(T) == typeof(DataIngested))
            Interlocked.Increment(ref _ingestedConsumed);
        Log("red", "fault", $"{typeof(T).Name}: {exception.Message}");
        return Task.CompletedTask;
    }

    public Task PrePublish<T>(PublishContext<T> context) where T : class => Task.CompletedTask;

    public Task PostPublish<T>(PublishContext<T> context) where T : class
    {
        ArgumentNullException.ThrowIfNull(context);
        if (!ObserveMarket(context.Message))
            ObserveLoop(context.Message);
        return Task.CompletedTask;
    }

    /// <summary>Candles and predictions; false for any other message.</summary>
    bool ObserveMarket(object message)
    {
        switch (message)
        {
            case DataIngested ingested:
                Interlocked.Increment(ref _ingestedEvents);
                Interlocked.Add(ref _accepted, ingested.Candles.Count);
                break;
            case DataRejected rejected:
                Interlocked.Add(ref _rejected, rejected.Candles.Count);
                foreach (var reason in rejected.Reasons)
                    RejectionCodes.AddOrUpdate(reason.Code, 1, (_, n) => n + 1);
                Log("yellow", "data.rejected", $"{rejected.Candles.Count} candle(s): {string.Join("; ", rejected.Reasons.Select(r => r.Code).Distinct())}");
                break;
            case PredictionCompleted prediction:
                if (prediction.RequestId is null)
                    Interlocked.Increment(ref _streamed);
                else
                    Interlocked.Increment(ref _requestedAnswers);
                SignalsByVersion.AddOrUpdate((prediction.Model.Version, prediction.Signal), 1, (_, n) => n + 1);
                lock (_gate)
                {
                    _recent.AddFirst(prediction);
                    while (_recent.Count > RecentPredictionCount)
                        _recent.RemoveLast();
                }

                break;
            case PredictionFailed failed:
                Interlocked.Increment(ref _predictionFailures);
                Log("yellow", "prediction.failed", $"{failed.Code}: {failed.Error}");
                break;
            default:
                return false;
        }

        return true;
    }

    /// <summary>Drift, training and the gate's decisions.</summary>
    void ObserveLoop(object message)
    {
        switch (message)
        {
            case DriftDetected drift:
                lock (_gate)
                    _drift.Add(drift);
                Log(SeverityStyle(drift.Severity), $"drift {drift.Severity.ToString().ToLowerInvariant()}", $"{drift.DriftType.ToString().ToLowerInvariant()} {drift.Metric}" +
                    $"{(drift.Feature is null ? "" : $"({drift.Feature})")} {Number(drift.Value)} vs threshold {Number(drift.Threshold)}" +
                    $"{(drift.Action is null ? "" : $" → {drift.Action}")}");
                break;
            case TrainingRequested request:
                lock (_gate)
                    _trainingRequests.Add(request);
                Log("blue", "training.requested", $"{request.Exchange}:{request.Symbol}:{request.Interval} reason {request.Reason}");
                break;
            case TrainingStarted started:
                Log("blue", "training.started", $"run {started.RunId}");
                break;
            case TrainingCompleted completed:
                lock (_gate)
                    _trainingCompleted.Add(completed);
                Log("blue", "training.completed", $"run {completed.RunId}: macro-F1 {Metric(completed.Metrics, "macro_f1")} on its own test split" +
                    (completed.Metrics.TryGetValue("seed_macro_f1_sd", out var sd) ? $" (seeds {Metric(completed.Metrics, "seed_macro_f1_mean")} ± {sd:0.000})" : "") +
                    $" in {completed.DurationSeconds:0.0} s");
                break;
            case TrainingFailed failed:
                lock (_gate)
                    _trainingFailed.Add(failed);
                Log("red", "training.failed", $"{failed.Error}");
                break;
            case ModelDeployed deployed:
                lock (_gate)
                    _deployed.Add(deployed);
                // The figure the gate decided on (its own window, unseen by either model), as on the run and the model version.
                Log("green", "model.deployed", $"{deployed.ModelName} v{deployed.Version} ({deployed.Reason ?? "gate"})" +
                    (deployed.Metrics.ContainsKey("gate_macro_f1") ? $": gate macro-F1 {Metric(deployed.Metrics, "gate_macro_f1")}" : "") +
                    $"{(deployed.PreviousVersion is { } p ? $", replaces v{p}" : "")}");
                break;
            case ModelRejected rejectedModel:
                lock (_gate)
                    _rejectedModels.Add(rejectedModel);
                Log("yellow", "model.rejected", $"run {rejectedModel.RunId}: {rejectedModel.Reason}");
                break;
        }
    }

    public Task PublishFault<T>(PublishContext<T> context, Exception exception) where T : class
    {
        Log("red", "publish failed", $"{typeof(T).Name}: {exception.Message}");
        return Task.CompletedTask;
    }

    /// <summary>A statistic as a person reads it: p-values like 3.5e-06 keep their digits.</summary>
    public static string Number(double value) =>
        value != 0 && Math.Abs(value) < 0.001
            ? value.ToString("0.0e+00", System.Globalization.CultureInfo.InvariantCulture)
            : value.ToString("0.000", System.Globalization.CultureInfo.InvariantCulture);

    static string Metric(IReadOnlyDictionary<string, double> metrics, string name) =>
        metrics.TryGetValue(name, out var value) ? value.ToString("0.000", System.Globalization.CultureInfo.InvariantCulture) : "n/a";

    static string SeverityStyle(DriftSeverity severity) => severity switch
    {
        DriftSeverity.High => "red",
        DriftSeverity.Medium => "yellow",
        _ => "grey",
    };

    /// <summary>Adds a line to the live log: a styled label, then the event's text (escaped: it is data, not markup).</summary>
    void Log(string style, string label, string text)
    {
        var line = $"[grey]{time.GetUtcNow():HH:mm:ss}[/] [{style}]{label}[/] {Spectre.Console.Markup.Escape(text)}";
        lock (_gate)
        {
            _log.AddFirst(line);
            _allEvents.Add(line);
            while (_log.Count > EventLogCount)
                _log.RemoveLast();
        }
    }
}
