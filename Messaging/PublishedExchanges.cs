using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using NeuralTrade.Events.Contracts;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace NeuralTrade.Events.Messaging;

/// <summary>
/// Declares, before the bus starts, the public exchange of every contract type this process publishes, exactly as
/// MassTransit and the broker definitions declare it (durable fanout, no arguments), and its by-series headers exchange
/// (<see cref="Exchanges.BySeries"/>) bound from it. MassTransit itself declares an
/// exchange only on its first publish: until then a subscriber's passive bind fails and anything published to the
/// name by others is dropped. The broker being down at start is waited out like the bus waits it out.
/// </summary>
internal sealed partial class PublishedExchanges(MessagingOptions options, IReadOnlyList<Type> published, ILogger<PublishedExchanges> logger)
    : IHostedService
{
    static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var names = published.Select(Exchanges.NameOf).OfType<string>().Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        if (names.Count == 0)
            return;
        var until = DateTimeOffset.UtcNow + Patience;
        for (var delay = TimeSpan.FromSeconds(1); ; delay = TimeSpan.FromSeconds(Math.Min(delay.TotalSeconds * 2, 10)))
        {
            try
            {
                await using var connection = await BrokerConnections.ConnectAsync(options, "neuraltrade-topology", cancellationToken).ConfigureAwait(false);
                await using var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
                foreach (var name in names)
                    await channel.ExchangeDeclareAsync(name, ExchangeType.Fanout, durable: true, autoDelete: false, cancellationToken: cancellationToken).ConfigureAwait(false);
                // The by-series headers exchange of each, bound from it: it receives everything the fanout receives.
                foreach (var name in names)
                {
                    if (!Exchanges.BySeries.TryGetValue(name, out var bySeries))
                        continue;
                    await channel.ExchangeDeclareAsync(bySeries, ExchangeType.Headers, durable: true, autoDelete: false, cancellationToken: cancellationToken).ConfigureAwait(false);
                    await channel.ExchangeBindAsync(bySeries, name, routingKey: "", cancellationToken: cancellationToken).ConfigureAwait(false);
                }
                LogDeclared(string.Join(", ", names.Concat(names.Where(Exchanges.BySeries.ContainsKey).Select(n => Exchanges.BySeries[n]))));
                return;
            }
            catch (OperationInterruptedException e) when (e.ShutdownReason?.ReplyCode is 403)
            {
                throw new InvalidOperationException($"RabbitMQ refused to declare the exchanges this worker publishes to ({string.Join(", ", names)}): " +
                    $"{e.ShutdownReason.ReplyText}. The broker definitions give each worker the configure right on them.", e);
            }
            catch (BrokerUnreachableException e) when (DateTimeOffset.UtcNow + delay < until)
            {
                LogWaiting(e.GetBaseException().Message, delay.TotalSeconds);
                await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Information, Message = "Exchanges this worker publishes to are declared: {Exchanges}")]
    partial void LogDeclared(string exchanges);

    [LoggerMessage(Level = LogLevel.Warning, Message = "RabbitMQ is unreachable ({Error}); declaring the published exchanges again in {Seconds} s")]
    partial void LogWaiting(string error, double seconds);
}
