using System.Security.Cryptography;
using System.Text;

namespace NeuralTrade.Events.Cli;

/// <summary>
/// Renders the broker's definitions (deploy/rabbitmq/definitions.template.json) for loading at boot: every
/// <c>{{password:USER}}</c> becomes RabbitMQ's salted SHA-256 hash of that user's password, read from
/// <c>RABBITMQ_PASSWORD_&lt;USER&gt;</c> or from the file named by <c>RABBITMQ_PASSWORD_&lt;USER&gt;_FILE</c> (Docker secrets).
/// The template holds no secret; the output holds no password, only hashes.
/// </summary>
internal static class BrokerDefinitions
{
    /// <summary>The variable a user's password is read from, e.g. <c>RABBITMQ_PASSWORD_INGEST</c>.</summary>
    public static string VariableFor(string user) => PasswordPlaceholders.VariableFor("RABBITMQ_PASSWORD_", user);

    public static string Render(string template, Func<string, string?> environment) =>
        PasswordPlaceholders.Replace(template, "RABBITMQ_PASSWORD_", p => HashPassword(p), environment);

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
