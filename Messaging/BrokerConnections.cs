using RabbitMQ.Client;

namespace NeuralTrade.Events.Messaging;

/// <summary>A plain AMQP connection factory for <see cref="MessagingOptions.RabbitMqUrl"/>, with the bus's TLS settings: for the few things the fleet does outside MassTransit.</summary>
internal static class BrokerConnections
{
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
