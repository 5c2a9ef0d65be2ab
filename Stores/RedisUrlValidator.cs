using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace NeuralTrade.Events.Stores;

public sealed class RedisUrlValidator : IValidateOptions<RedisOptions>
{
    public ValidateOptionsResult Validate(string? name, RedisOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!options.IsConfigured)
            return ValidateOptionsResult.Success;
        try
        {
            _ = options.ToConfigurationOptions();
            return ValidateOptionsResult.Success;
        }
        catch (Exception e) when (e is ArgumentException or FormatException or OverflowException or RedisException)
        {
            return ValidateOptionsResult.Fail($"{RedisOptions.SectionName}:{nameof(RedisOptions.Url)} (REDIS_URL) is not usable: {e.Message}");
        }
        catch (Exception e) when (e is IOException or System.Security.Cryptography.CryptographicException)
        {
            return ValidateOptionsResult.Fail($"{RedisOptions.SectionName}:{nameof(RedisOptions.CaFile)} (REDIS_CA_FILE) is not usable: {e.Message}");
        }
    }
}
