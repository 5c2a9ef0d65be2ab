using System.Collections.Concurrent;
using MassTransit;
using NeuralTrade.Events.Contracts;
using NeuralTrade.Events.Workers.Ingest;

namespace NeuralTrade.Events.Fleet;

/// <summary>Counts what the in-process workers consume and publish, for the live view and the summary.</summary>
internal sealed class FleetObserver : IConsumeObserver, IPublishObserver
{
    long _messagesDone;
    long _messagesFaulted;
    long _accepted;
    long _rejected;
    long _ingestedEvents;

    public ConcurrentDictionary<string, int> RejectionCodes { get; } = new(StringComparer.Ordinal);
    public long MessagesDone => Interlocked.Read(ref _messagesDone);
    public long MessagesFaulted => Interlocked.Read(ref _messagesFaulted);
    public long Accepted => Interlocked.Read(ref _accepted);
    public long Rejected => Interlocked.Read(ref _rejected);
    public long IngestedEvents => Interlocked.Read(ref _ingestedEvents);

    public Task PreConsume<T>(ConsumeContext<T> context) where T : class => Task.CompletedTask;

    public Task PostConsume<T>(ConsumeContext<T> context) where T : class
    {
        if (typeof(T) == typeof(IncomingCandles))
            Interlocked.Increment(ref _messagesDone);
        return Task.CompletedTask;
    }

    public Task ConsumeFault<T>(ConsumeContext<T> context, Exception exception) where T : class
    {
        if (typeof(T) == typeof(IncomingCandles))
            Interlocked.Increment(ref _messagesFaulted);
        return Task.CompletedTask;
    }

    public Task PrePublish<T>(PublishContext<T> context) where T : class => Task.CompletedTask;

    public Task PostPublish<T>(PublishContext<T> context) where T : class
    {
        switch (context.Message)
        {
            case DataIngested ingested:
                Interlocked.Increment(ref _ingestedEvents);
                Interlocked.Add(ref _accepted, ingested.Candles.Count);
                break;
            case DataRejected rejected:
                Interlocked.Add(ref _rejected, rejected.Candles.Count);
                foreach (var reason in rejected.Reasons)
                    RejectionCodes.AddOrUpdate(reason.Code, 1, (_, n) => n + 1);
                break;
        }

        return Task.CompletedTask;
    }

    public Task PublishFault<T>(PublishContext<T> context, Exception exception) where T : class => Task.CompletedTask;
}
