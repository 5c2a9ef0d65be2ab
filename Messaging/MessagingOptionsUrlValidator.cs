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
