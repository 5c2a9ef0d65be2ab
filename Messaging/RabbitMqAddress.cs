namespace NeuralTrade.Events.Messaging;

/// <summary>A parsed broker address.</summary>
public sealed record RabbitMqAddress(string Host, int Port, string VirtualHost, string Username, string Password, bool UseTls)
{
    public static bool TryParse(string url, out RabbitMqAddress? address, out string? error)
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
        var user = userInfo[0].Length == 0 ? "guest" : Uri.UnescapeDataString(userInfo[0]);
        var pass = userInfo.Length > 1 ? Uri.UnescapeDataString(userInfo[1]) : "guest";
        address = new RabbitMqAddress(uri.Host, port, vhost, user, pass, tls);
        error = null;
        return true;
    }

    /// <summary>
    /// One node of a cluster, <c>host</c> or <c>host:port</c>. Not an IPv6 literal: MassTransit's cluster nodes are
    /// <c>host:port</c> split at the colon (give the node a DNS name instead).
    /// </summary>
    public static bool TryParseNode(string node, int defaultPort, out (string Host, int Port) endpoint, out string? error)
    {
        endpoint = default;
        // Anything before an '@' would be credentials: never echoed.
        var shown = node.Contains('@', StringComparison.Ordinal) ? "***@" + node[(node.LastIndexOf('@') + 1)..] : node;
        if (node.Contains('@', StringComparison.Ordinal))
        {
            error = $"'{shown}' carries credentials: the nodes are host or host:port, RABBITMQ_URL gives the user and password.";
            return false;
        }

        if (node.StartsWith('[') || node.Count(c => c == ':') > 1)
        {
            error = $"'{shown}' is an IPv6 address, which a cluster node cannot be here: give the node a host name.";
            return false;
        }

        if (!Uri.TryCreate("amqp://" + node, UriKind.Absolute, out var uri) || uri.Host.Length == 0
            || uri.AbsolutePath != "/" || uri.Query.Length > 0 || uri.Fragment.Length > 0 || node.EndsWith('/'))
        {
            error = $"'{shown}' is not host or host:port.";
            return false;
        }

        endpoint = (uri.Host, uri.IsDefaultPort || uri.Port <= 0 ? defaultPort : uri.Port);
        error = null;
        return true;
    }

    /// <summary>The URL without its password, for logs and errors.</summary>
    public static string Redact(string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.UserInfo.Contains(':', StringComparison.Ordinal)
            ? url.Replace(uri.UserInfo, uri.UserInfo.Split(':')[0] + ":***", StringComparison.Ordinal)
            : url;

    public override string ToString() => $"{(UseTls ? "amqps" : "amqp")}://{Username}@{Host}:{Port}/{Uri.EscapeDataString(VirtualHost)}";
}
