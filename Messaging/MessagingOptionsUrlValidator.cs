using Microsoft.Extensions.Options;

namespace NeuralTrade.Events.Messaging;

/// <summary>Checks what data annotations cannot: the broker URL and the retry intervals.</summary>
public sealed class MessagingOptionsUrlValidator : IValidateOptions<MessagingOptions>
{
    public ValidateOptionsResult Validate(string? name, MessagingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (options.UsesRabbitMq && !RabbitMqAddress.TryParse(options.RabbitMqUrl!, out _, out var error))
            failures.Add($"{MessagingOptions.SectionName}:{nameof(MessagingOptions.RabbitMqUrl)} (RABBITMQ_URL): {error}");
        var nodes = options.ClusterNodeList().ToList();
        if (nodes.Count > 16)
            failures.Add($"{MessagingOptions.SectionName}:{nameof(MessagingOptions.ClusterNodes)} (RABBITMQ_CLUSTER_NODES) names {nodes.Count} nodes; at most 16.");
        foreach (var node in nodes.Take(16))
        {
            if (!RabbitMqAddress.TryParseNode(node, 5672, out _, out var nodeError))
                failures.Add($"{MessagingOptions.SectionName}:{nameof(MessagingOptions.ClusterNodes)} (RABBITMQ_CLUSTER_NODES): {nodeError}");
        }

        if (nodes.Count > 0 && !options.UsesRabbitMq)
            failures.Add($"{MessagingOptions.SectionName}:{nameof(MessagingOptions.ClusterNodes)} (RABBITMQ_CLUSTER_NODES) is set without RABBITMQ_URL, "
                + "which gives the credentials, virtual host and scheme.");
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
