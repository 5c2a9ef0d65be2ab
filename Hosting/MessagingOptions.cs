using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace NeuralTrade.Events.Hosting;

public sealed class MessagingOptions
{
    public const string SectionName = "Messaging";

    /// <summary>
    /// <c>amqp://user:pass@host:port/vhost</c> or <c>amqps://…</c>. A worker process refuses to start without it, unless
    /// <see cref="Embedded"/> is set; the one-process fleet (Fleet) runs on the in-memory bus without it.
    /// </summary>
    public string? RabbitMqUrl { get; set; }

    /// <summary>
    /// Run on MassTransit's in-memory bus when <see cref="RabbitMqUrl"/> is unset: the process talks only to itself, and
    /// nothing published elsewhere reaches it. For trying one worker alone; never implied. Environment: <c>Messaging__Embedded=true</c>.
    /// </summary>
    public bool Embedded { get; set; }

    /// <summary>
    /// PEM file of a private CA that signed the broker's certificate (amqps:// only); unset: the system's trust store.
    /// Environment: <c>RABBITMQ_CA_FILE</c>.
    /// </summary>
    public string? TlsCaFile { get; set; }

    [Range(1, 10_000)]
    public int PrefetchCount { get; set; } = 64;

    /// <summary>
    /// Delays in milliseconds between attempts of a consumer that failed for a reason other than bad input,
    /// comma-separated; empty for no retry. (A string, not an array: the configuration binder appends to a
    /// non-empty default array instead of replacing it.)
    /// </summary>
    public string RetryIntervalsMs { get; set; } = "200,1000,5000";

    public int[] RetryIntervals() =>
        RetryIntervalsMs.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(v => int.Parse(v, System.Globalization.CultureInfo.InvariantCulture))
            .ToArray();

    [Range(1, 3_600)]
    public int StopTimeoutSeconds { get; set; } = 30;

    /// <summary>
    /// How long a message whose handling failed because Redis is down (connection or timeout) keeps being retried,
    /// with exponential backoff (1 s doubling to 30 s), before it is dead-lettered; 0 treats an outage like any failure.
    /// </summary>
    [Range(0, 86_400)]
    public int OutageRetrySeconds { get; set; } = 300;

    public bool UsesRabbitMq => !string.IsNullOrWhiteSpace(RabbitMqUrl);
}

[OptionsValidator]
public sealed partial class MessagingOptionsValidator : IValidateOptions<MessagingOptions>;

/// <summary>Checks what data annotations cannot: the broker URL and the retry intervals.</summary>
public sealed class MessagingOptionsUrlValidator : IValidateOptions<MessagingOptions>
{
    public ValidateOptionsResult Validate(string? name, MessagingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (options.UsesRabbitMq && !RabbitMqAddress.TryParse(options.RabbitMqUrl!, out _, out var error))
            failures.Add($"{MessagingOptions.SectionName}:{nameof(MessagingOptions.RabbitMqUrl)} (RABBITMQ_URL): {error}");
        if (options.TlsCaFile is { Length: > 0 } caFile)
        {
            try
            {
                using var _ = TlsTrust.LoadCa(caFile);
            }
            catch (Exception e) when (e is FileNotFoundException or InvalidDataException)
            {
                failures.Add($"{MessagingOptions.SectionName}:{nameof(MessagingOptions.TlsCaFile)} (RABBITMQ_CA_FILE): {e.Message}");
            }
        }

        if (!System.Text.RegularExpressions.Regex.IsMatch(options.RetryIntervalsMs, @"^\s*(\d{1,7}\s*(,\s*\d{1,7}\s*){0,19})?$"))
            failures.Add($"{MessagingOptions.SectionName}:{nameof(MessagingOptions.RetryIntervalsMs)} must be up to 20 comma-separated "
                + $"delays in milliseconds (e.g. 200,1000,5000), or empty for no retry; got '{options.RetryIntervalsMs}'.");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}

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

    /// <summary>The URL without its password, for logs and errors.</summary>
    public static string Redact(string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.UserInfo.Contains(':', StringComparison.Ordinal)
            ? url.Replace(uri.UserInfo, uri.UserInfo.Split(':')[0] + ":***", StringComparison.Ordinal)
            : url;

    public override string ToString() => $"{(UseTls ? "amqps" : "amqp")}://{Username}@{Host}:{Port}/{Uri.EscapeDataString(VirtualHost)}";
}
