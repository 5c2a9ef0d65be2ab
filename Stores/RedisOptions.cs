using System.ComponentModel.DataAnnotations;
using StackExchange.Redis;

namespace NeuralTrade.Events.Stores;

public sealed class RedisOptions
{
    public const string SectionName = "Redis";

    /// <summary><c>redis://[:password@]host:port[/db]</c>, <c>rediss://…</c>, or a StackExchange.Redis configuration string. Unset selects in-memory stores.</summary>
    public string? Url { get; set; }

    /// <summary>First segment of every key this fleet writes, so that several fleets can share one Redis.</summary>
    [Required, RegularExpression("^[A-Za-z0-9_.-]{1,32}$")]
    public string KeyPrefix { get; set; } = "nt";

    /// <summary>
    /// A private CA (PEM) that signed the server certificate of a <c>rediss://</c> Redis (<c>REDIS_CA_FILE</c>): the
    /// chain must end at it and the name must match. Unset, the operating system's trust store decides.
    /// </summary>
    public string? CaFile { get; set; }

    /// <summary>
    /// Replicas that must hold a critical write (candles, training jobs, the registry, the message ledger) before the
    /// message that caused it is acknowledged (Redis WAIT): 0 (default) for a Redis without replicas; 1 with Sentinel and
    /// two replicas, so that a failover loses nothing acknowledged. docs/scaling.md.
    /// </summary>
    [Range(0, 8)]
    public int WaitReplicas { get; set; }

    /// <summary>
    /// How long a critical write waits for <see cref="WaitReplicas"/> before its message is tried again. At most 4,000:
    /// WAIT holds the connection it is sent on, and StackExchange.Redis gives up on a command after 5 s (its async
    /// timeout), which would time out every command queued behind it.
    /// </summary>
    [Range(10, 4_000)]
    public int WaitTimeoutMs { get; set; } = 1_000;

    public bool IsConfigured => !string.IsNullOrWhiteSpace(Url);

    /// <summary>The URL as logs and errors show it: without its password.</summary>
    public string Redacted => Redact(Url);

    /// <summary><c>redis://user:secret@host</c> → <c>redis://user:***@host</c>; <c>host,password=secret</c> → <c>host,password=***</c>.</summary>
    public static string Redact(string? url)
    {
        if (string.IsNullOrEmpty(url))
            return "";
        var scheme = url.IndexOf("://", StringComparison.Ordinal);
        if (scheme >= 0)
        {
            var at = url.LastIndexOf('@');
            if (at <= scheme + 3)
                return url;
            var userInfo = url[(scheme + 3)..at];
            var colon = userInfo.IndexOf(':', StringComparison.Ordinal);
            return url[..(scheme + 3)] + (colon >= 0 ? userInfo[..colon] + ":***" : "***") + url[at..];
        }

        return System.Text.RegularExpressions.Regex.Replace(url, "(?i)(password\\s*=)[^,]*", "$1***");
    }

    /// <summary>Turns the URL into StackExchange.Redis options.</summary>
    public ConfigurationOptions ToConfigurationOptions()
    {
        if (!IsConfigured)
            throw new InvalidOperationException("Redis is not configured (set REDIS_URL).");

        ConfigurationOptions options;
        if (Uri.TryCreate(Url, UriKind.Absolute, out var uri) && (uri.Scheme == "redis" || uri.Scheme == "rediss"))
        {
            options = new ConfigurationOptions { Ssl = uri.Scheme == "rediss" };
            options.EndPoints.Add(uri.Host, uri.IsDefaultPort || uri.Port <= 0 ? 6379 : uri.Port);
            var userInfo = uri.UserInfo.Split(':', 2);
            if (userInfo.Length == 2)
            {
                if (userInfo[0].Length > 0) options.User = Uri.UnescapeDataString(userInfo[0]);
                options.Password = Uri.UnescapeDataString(userInfo[1]);
            }

            var db = uri.AbsolutePath.Trim('/');
            if (db.Length > 0) options.DefaultDatabase = int.Parse(db, System.Globalization.CultureInfo.InvariantCulture);
        }
        else if (Url!.Contains("://", StringComparison.Ordinal))
        {
            throw new FormatException($"'{Redacted}' is not a valid redis:// or rediss:// URL (redis://[:password@]host:port[/db]).");
        }
        else
        {
            options = ConfigurationOptions.Parse(Url!);
        }

        // Like RABBITMQ_CA_FILE for amqp://, the CA applies to TLS connections only; a plain redis:// URL ignores it.
        if (!string.IsNullOrWhiteSpace(CaFile) && options.Ssl)
        {
            if (!File.Exists(CaFile))
                throw new FileNotFoundException($"Redis:CaFile (REDIS_CA_FILE) names {CaFile}, which does not exist.", CaFile);
            // StackExchange.Redis checks the chain against this issuer (and the host name) in its certificate validation.
            options.TrustIssuer(CaFile);
        }

        // Start even when Redis is down; commands fail (and are retried by their callers) until it is back,
        // and the ready health check says so meanwhile.
        options.AbortOnConnectFail = false;
        options.ConnectRetry = 5;
        options.ClientName ??= $"neuraltrade-{Environment.MachineName}";
        return options;
    }
}
