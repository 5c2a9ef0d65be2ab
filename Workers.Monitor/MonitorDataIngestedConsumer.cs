using MassTransit;
using NeuralTrade.Events.Contracts;

namespace NeuralTrade.Events.Workers.Monitor;

/// <summary><c>data.ingested</c> on <c>monitor</c>: update the windows and check the series.</summary>
public sealed class MonitorDataIngestedConsumer(DriftMonitor monitor) : IConsumer<DataIngested>
{
    public const string QueueName = "monitor";

    public Task Consume(ConsumeContext<DataIngested> context) =>
        monitor.OnDataIngestedAsync(context.Message, (e, ct) => e switch
        {
            DriftDetected drift => context.Publish(drift, ct),
            TrainingRequested request => context.Publish(request, ct),
            _ => throw new InvalidOperationException($"the monitor does not publish {e.GetType().Name}"),
        }, context.CancellationToken);
}
