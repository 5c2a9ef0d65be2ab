using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace NeuralTrade.Events.Cli;

/// <summary>
/// Renders the fleet's Redis ACL file (deploy/redis/users.acl.template) for <c>aclfile</c> or <c>ACL SETUSER</c>:
/// every <c>{{password:USER}}</c> becomes <c>#</c> and the SHA-256 (hex) of that user's password, read from
/// <c>REDIS_PASSWORD_&lt;USER&gt;</c> or the file named by <c>REDIS_PASSWORD_&lt;USER&gt;_FILE</c>; <c>{{prefix}}</c>
/// becomes the key prefix. Comment lines are dropped (an ACL file has none). The output holds hashes, no password.
/// </summary>
internal static partial class RedisAcl
{
    [GeneratedRegex(@"\{\{password:(?<user>[a-z0-9_-]+)\}\}")]
    private static partial Regex Placeholder();

    [GeneratedRegex("^[A-Za-z0-9_.-]{1,64}$")]
    private static partial Regex SafePrefix();

    /// <summary>The variable a user's password is read from, e.g. <c>REDIS_PASSWORD_INGEST</c>.</summary>
    public static string VariableFor(string user) => "REDIS_PASSWORD_" + user.ToUpperInvariant().Replace('-', '_');

    public static string Render(string template, string prefix, Func<string, string?> environment)
    {
        // The prefix lands inside key patterns: a '*', '?', '[' or a space would widen what a user may touch.
        if (!SafePrefix().IsMatch(prefix))
            throw new CliException($"key prefix '{prefix}' must be 1-64 of A-Z a-z 0-9 _ . -", ExitCodes.Usage);
        var missing = new List<string>();
        var lines = new List<string>();
        foreach (var line in template.Split('\n').Select(l => l.TrimEnd('\r')))
        {
            if (line.Length == 0 || line.StartsWith('#'))
                continue;
            lines.Add(Placeholder().Replace(line.Replace("{{prefix}}", prefix, StringComparison.Ordinal), m =>
            {
                var variable = VariableFor(m.Groups["user"].Value);
                if (BrokerDefinitions.PasswordOf(variable, environment) is not { } password)
                {
                    missing.Add(variable);
                    return m.Value;
                }

                return HashPassword(password);
            }));
        }

        if (missing.Count > 0)
            throw new CliException($"no password for {string.Join(", ", missing.Distinct())}: set each variable, or NAME_FILE to a file holding it", ExitCodes.Usage);
        return string.Join('\n', lines) + "\n";
    }

    /// <summary>Redis's hashed-password rule: <c>#</c> and the lowercase hex SHA-256 of the password (https://redis.io/docs/latest/commands/acl-setuser/).</summary>
    public static string HashPassword(string password) => "#" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(password)));
}
