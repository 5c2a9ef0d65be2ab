using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace NeuralTrade.Events.Cli;

/// <summary>
/// Renders the broker's definitions (deploy/rabbitmq/definitions.template.json) for loading at boot: every
/// <c>{{password:USER}}</c> becomes RabbitMQ's salted SHA-256 hash of that user's password, read from
/// <c>RABBITMQ_PASSWORD_&lt;USER&gt;</c> or from the file named by <c>RABBITMQ_PASSWORD_&lt;USER&gt;_FILE</c> (Docker secrets).
/// The template holds no secret; the output holds no password, only hashes.
/// </summary>
internal static partial class BrokerDefinitions
{
    [GeneratedRegex(@"\{\{password:(?<user>[a-z0-9_-]+)\}\}")]
    private static partial Regex Placeholder();

    /// <summary>The variable a user's password is read from, e.g. <c>RABBITMQ_PASSWORD_INGEST</c>.</summary>
    public static string VariableFor(string user) => "RABBITMQ_PASSWORD_" + user.ToUpperInvariant().Replace('-', '_');

    public static string Render(string template, Func<string, string?> environment)
    {
        var missing = new List<string>();
        var rendered = Placeholder().Replace(template, m =>
        {
            var variable = VariableFor(m.Groups["user"].Value);
            var password = PasswordOf(variable, environment);
            if (password is null)
            {
                missing.Add(variable);
                return m.Value;
            }

            return HashPassword(password);
        });
        if (missing.Count > 0)
            throw new CliException($"no password for {string.Join(", ", missing.Distinct())}: set each variable, or NAME_FILE to a file holding it", ExitCodes.Usage);
        return rendered;
    }

    /// <summary>A secret from <paramref name="variable"/>, or from the file named by <c>VARIABLE_FILE</c>; null when neither is set.</summary>
    internal static string? PasswordOf(string variable, Func<string, string?> environment)
    {
        if (environment(variable) is { Length: > 0 } value)
            return value;
        if (environment(variable + "_FILE") is { Length: > 0 } path)
        {
            if (!File.Exists(path))
                throw new CliException($"{variable}_FILE names {path}, which does not exist", ExitCodes.Usage);
            var secret = File.ReadAllText(path).TrimEnd('\r', '\n');
            return secret.Length > 0 ? secret : throw new CliException($"{path} (from {variable}_FILE) is empty", ExitCodes.Usage);
        }

        return null;
    }

    /// <summary>
    /// RabbitMQ's <c>rabbit_password_hashing_sha256</c>: base64(salt ‖ SHA-256(salt ‖ UTF-8 password)) with a random
    /// 4-byte salt (https://www.rabbitmq.com/docs/passwords#computing-password-hash).
    /// </summary>
    public static string HashPassword(string password, byte[]? salt = null)
    {
        salt ??= RandomNumberGenerator.GetBytes(4);
        var salted = salt.Concat(Encoding.UTF8.GetBytes(password)).ToArray();
        return Convert.ToBase64String(salt.Concat(SHA256.HashData(salted)).ToArray());
    }
}
