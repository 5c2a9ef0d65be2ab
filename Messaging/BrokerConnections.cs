using RabbitMQ.Client;

namespace NeuralTrade.Events.Messaging;

/// <summary>A plain AMQP connection factory for <see cref="MessagingOptions.RabbitMqUrl"/>, with the bus's TLS settings: for the few things the fleet does outside MassTransit.</summary>
internal static class BrokerConnections
{
    /// <summary>A connection to the first node that answers, of the URL's host and <see cref="MessagingOptions.ClusterNodes"/>.</summary>
    public static Task<IConnection> ConnectAsync(MessagingOptions options, string clientName, CancellationToken cancellationToken)
    {
        var factory = Factory(options, clientName);
        var endpoints = options.Endpoints().Select(e => new AmqpTcpEndpoint(e.Host, e.Port, factory.Ssl)).ToList();
        return endpoints.Count > 1 ? factory.CreateConnectionAsync(endpoints, cancellationToken) : factory.CreateConnectionAsync(cancellationToken);
    }

    public static ConnectionFactory Factory(MessagingOptions options, string clientName)
    {
        RabbitMqAddress.TryParse(options.RabbitMqUrl!, out var address, out _);
        var factory = new ConnectionFactory
        {
            HostName = address!.Host, Port = address.Port, VirtualHost = address.VirtualHost, UserName = address.Username, Password = address.Password,
            ClientProvidedName = clientName, RequestedConnectionTimeout = TimeSpan.FromSeconds(10), AutomaticRecoveryEnabled = false,
        };
        if (address.UseTls)
        {
            factory.Ssl = new SslOption { Enabled = true, ServerName = address.Host };
            if (options.TlsCaFile is { Length: > 0 } caFile)
                factory.Ssl.CertificateValidationCallback = TlsTrust.ChainsTo(TlsTrust.LoadCa(caFile));
        }

        return factory;
    }
}
