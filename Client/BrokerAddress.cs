using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using RabbitMQ.Client;

namespace NeuralTrade.Events.Client;

/// <summary>A parsed broker URL; <see cref="ToString"/> leaves the password out.</summary>
internal sealed record BrokerAddress(string Host, int Port, string VirtualHost, string UserName, string Password, bool UseTls)
{
    public static bool TryParse(string url, out BrokerAddress? address, out string? error)
    {
        address = null;
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != "amqp" && uri.Scheme != "amqps"))
        {
            error = $"'{Redact(url)}' is not an amqp:// or amqps:// URL.";
            return false;
        }

        if (string.IsNullOrEmpty(uri.Host))
        {
            error = $"'{Redact(url)}' names no host.";
            return false;
        }

        var tls = uri.Scheme == "amqps";
        var port = uri.IsDefaultPort || uri.Port <= 0 ? (tls ? 5671 : 5672) : uri.Port;
        var path = uri.AbsolutePath.TrimStart('/');
        var vhost = path.Length == 0 ? "/" : Uri.UnescapeDataString(path);
        var userInfo = uri.UserInfo.Split(':', 2);
        // RabbitMQ's URI spec: no user information means guest/guest.
        var user = userInfo[0].Length == 0 ? "guest" : Uri.UnescapeDataString(userInfo[0]);
        var password = userInfo.Length > 1 ? Uri.UnescapeDataString(userInfo[1]) : (userInfo[0].Length == 0 ? "guest" : "");
        address = new BrokerAddress(uri.Host, port, vhost, user, password, tls);
        error = null;
        return true;
    }

    /// <summary>The URL with its password left out, for errors and logs.</summary>
    public static string Redact(string? url)
    {
        if (url is null)
            return "";
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri))
        {
            // Not a URL: still hide anything that looks like user:password@.
            var at = url.IndexOf('@', StringComparison.Ordinal);
            return at < 0 ? url : "***" + url[at..];
        }

        if (uri.UserInfo.Length == 0)
            return url;
        var user = uri.UserInfo.Split(':', 2)[0];
        return url.Replace(uri.UserInfo + "@", user + "@", StringComparison.Ordinal);
    }

    public override string ToString() => $"{(UseTls ? "amqps" : "amqp")}://{Uri.EscapeDataString(UserName)}@{Host}:{Port}/{Uri.EscapeDataString(VirtualHost)}";

    /// <summary>A connection factory for this address with the client's timeouts, automatic recovery and TLS trust.</summary>
    public ConnectionFactory CreateFactory(NeuralTradeClientOptions options, string connectionName)
    {
        var factory = new ConnectionFactory
        {
            HostName = Host, Port = Port, VirtualHost = VirtualHost, UserName = UserName, Password = Password,
            ClientProvidedName = connectionName,
            RequestedConnectionTimeout = options.ConnectTimeout,
            HandshakeContinuationTimeout = options.ConnectTimeout,
            ContinuationTimeout = options.OperationTimeout,
            // Reconnect and re-declare this client's queues, bindings and consumers after a network failure
            // (the semantics are in README.md, "Connection loss").
            AutomaticRecoveryEnabled = true,
            TopologyRecoveryEnabled = true,
            NetworkRecoveryInterval = options.RecoveryInterval,
            // The broker refuses messages over its max_message_size (32 MiB as shipped): a compliant broker sends none
            // larger. Anything below this reaches the client's own per-message limits, which drop and report a message
            // instead of breaking the connection.
            MaxInboundMessageBodySize = (uint)Math.Max(32 * 1024 * 1024, Math.Max(options.MaxMessageBytes, options.MaxRejectionBytes)),
        };
        if (UseTls)
        {
            factory.Ssl = new SslOption { Enabled = true, ServerName = Host };
            if (options.TlsCaFile is { } caFile)
                factory.Ssl.CertificateValidationCallback = ChainsTo(LoadCa(caFile));
        }

        return factory;
    }

    /// <summary>Loads the first certificate of a PEM (or DER) file, with an error that names the file.</summary>
    internal static X509Certificate2 LoadCa(string path)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"NeuralTradeClientOptions.TlsCaFile: {path} does not exist.", path);
        try
        {
            return X509CertificateLoader.LoadCertificateFromFile(path);
        }
        catch (CryptographicException e)
        {
            throw new InvalidDataException($"NeuralTradeClientOptions.TlsCaFile: {path} holds no readable certificate ({e.Message}).", e);
        }
    }

    /// <summary>Accepts a server certificate only if it chains to <paramref name="ca"/> and names the host.</summary>
    internal static RemoteCertificateValidationCallback ChainsTo(X509Certificate2 ca) => (_, certificate, _, errors) =>
    {
        if (errors == SslPolicyErrors.None)
            return true;
        if (certificate is null || (errors & (SslPolicyErrors.RemoteCertificateNameMismatch | SslPolicyErrors.RemoteCertificateNotAvailable)) != 0)
            return false;
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        using var server = new X509Certificate2(certificate);
        return chain.Build(server);
    };
}
