using NeuralTrade.Events.Messaging;
using NeuralTrade.Events.Stores;

namespace NeuralTrade.Events.Cli;

/// <summary>
/// Where the services are, from the same environment variables the workers read: <c>RABBITMQ_URL</c>,
/// <c>RABBITMQ_MANAGEMENT_URL</c> (default: port 15672 of the broker's host, same user), <c>REDIS_URL</c> and
/// <c>REDIS_KEY_PREFIX</c> (or <c>Redis__KeyPrefix</c>; default <c>nt</c>), <c>RABBITMQ_CA_FILE</c> (a private CA for amqps:// and https://), <c>REDIS_CA_FILE</c> (one for rediss://).
/// </summary>
internal sealed record CliSettings(string RabbitMqUrl, string? ManagementUrl, string? RedisUrl, string RedisKeyPrefix, string? CaFile = null,
    string? RedisCaFile = null)
{
    public const string DefaultRabbitMqUrl = "amqp://guest:guest@localhost:5672/";

    public static CliSettings From(Func<string, string?> environment)
    {
        static string? Value(string? v) => string.IsNullOrWhiteSpace(v) ? null : v.Trim();
        return new CliSettings(
            Value(environment("RABBITMQ_URL")) ?? DefaultRabbitMqUrl,
            Value(environment("RABBITMQ_MANAGEMENT_URL")),
            Value(environment("REDIS_URL")),
            Value(environment("REDIS_KEY_PREFIX")) ?? Value(environment("Redis__KeyPrefix")) ?? "nt",
            Value(environment("RABBITMQ_CA_FILE")),
            Value(environment("REDIS_CA_FILE")));
    }

    public RabbitMqAddress Broker =>
        RabbitMqAddress.TryParse(RabbitMqUrl, out var address, out var error)
            ? address!
            : throw new CliException($"RABBITMQ_URL is not usable: {error}", ExitCodes.Usage);

    /// <summary>The broker URL without its password, for messages.</summary>
    public string RedactedBroker => RabbitMqAddress.Redact(RabbitMqUrl);

    public Uri Management
    {
        get
        {
            if (ManagementUrl is null)
                return new Uri($"http://{Broker.Host}:15672/");
            return Uri.TryCreate(ManagementUrl.TrimEnd('/') + "/", UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"
                ? uri
                : throw new CliException($"RABBITMQ_MANAGEMENT_URL '{ManagementUrl}' is not an http(s) URL", ExitCodes.Usage);
        }
    }

    /// <summary>Validation for a server certificate signed by <see cref="CaFile"/>; null to use the system's trust store.</summary>
    public System.Net.Security.RemoteCertificateValidationCallback? CertificateValidation
    {
        get
        {
            if (CaFile is null)
                return null;
            try
            {
                return TlsTrust.ChainsTo(TlsTrust.LoadCa(CaFile));
            }
            catch (Exception e) when (e is FileNotFoundException or InvalidDataException)
            {
                throw new CliException($"RABBITMQ_CA_FILE: {e.Message}", ExitCodes.Usage);
            }
        }
    }

    public RedisOptions Redis => RedisUrl is null
        ? throw new CliException("this command reads the fleet's registry in Redis: set REDIS_URL (e.g. redis://127.0.0.1:6379)", ExitCodes.Usage)
        : new RedisOptions { Url = RedisUrl, KeyPrefix = RedisKeyPrefix, CaFile = RedisCaFile };
}
