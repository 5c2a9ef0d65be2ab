using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using RabbitMQ.Client.Exceptions;

namespace NeuralTrade.Events.Messaging;

/// <summary>The work queues this process consumes, recorded as their endpoints are configured.</summary>
public sealed class WorkQueues
{
    readonly ConcurrentDictionary<string, byte> _queues = new(StringComparer.Ordinal);

    public void Add(string queue) => _queues.TryAdd(queue, 0);

    public IReadOnlyList<string> All => [.. _queues.Keys.Order(StringComparer.Ordinal)];
}

/// <summary>
/// Watches the dead-letter queue of every work queue this process consumes (a passive declare every
/// <see cref="MessagingOptions.DeadLetterCheckSeconds"/>): the depth is the gauge <c>neuraltrade.dead_letters</c>
/// (tag <c>queue</c>), and a queue at or above <see cref="MessagingOptions.DeadLetterAlarm"/> letters logs an error once
/// per crossing, well before the broker's 1 GiB cap makes it refuse letters. Only observes: never reads a letter.
/// </summary>
internal sealed partial class DeadLetterWatch(MessagingOptions options, WorkQueues queues, ILogger<DeadLetterWatch> logger) : BackgroundService
{
    static readonly Meter Meter = new("NeuralTrade.Messaging");
    static readonly ConcurrentDictionary<string, long> Depths = new(StringComparer.Ordinal);
    static readonly ObservableGauge<long> Gauge = Meter.CreateObservableGauge("neuraltrade.dead_letters",
        () => Depths.Select(d => new Measurement<long>(d.Value, new KeyValuePair<string, object?>("queue", d.Key))), "{message}",
        "Letters in each dead-letter queue of the work queues this process consumes.");

    readonly HashSet<string> _alarmed = new(StringComparer.Ordinal);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        _ = Gauge;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(TimeSpan.FromSeconds(options.DeadLetterCheckSeconds), stoppingToken);
                await using var connection = await BrokerConnections.ConnectAsync(options, "neuraltrade-dead-letter-watch", stoppingToken);
                foreach (var queue in queues.All)
                    await CheckAsync(connection, QueueTopology.ErrorQueue(queue), stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is BrokerUnreachableException or OperationInterruptedException or AlreadyClosedException or IOException)
            {
                LogUnchecked(e.Message); // the bus's own health check reports the broker; try again next round
            }
        }
    }

    async Task CheckAsync(RabbitMQ.Client.IConnection connection, string errorQueue, CancellationToken cancellationToken)
    {
        await using var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken);
        uint depth;
        try
        {
            depth = (await channel.QueueDeclarePassiveAsync(errorQueue, cancellationToken)).MessageCount;
        }
        catch (OperationInterruptedException e) when (e.ShutdownReason?.ReplyCode is 404)
        {
            depth = 0; // MassTransit declares a dead-letter queue with its first letter
        }

        Depths[errorQueue] = depth;
        if (depth >= options.DeadLetterAlarm)
        {
            if (_alarmed.Add(errorQueue))
                LogAlarm(errorQueue, depth, options.DeadLetterAlarm);
        }
        else if (_alarmed.Remove(errorQueue))
        {
            LogCleared(errorQueue, depth);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Dead letters: {Queue} holds {Depth} messages (alarm at {Alarm}); read, replay or purge them with `neuraltrade dlq` before the broker's cap makes it refuse new letters")]
    partial void LogAlarm(string queue, uint depth, int alarm);

    [LoggerMessage(Level = LogLevel.Information, Message = "Dead letters: {Queue} is back under the alarm ({Depth} messages)")]
    partial void LogCleared(string queue, uint depth);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Dead-letter queues not checked this round: {Error}")]
    partial void LogUnchecked(string error);
}
