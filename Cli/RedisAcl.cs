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
    [GeneratedRegex("^[A-Za-z0-9_.-]{1,64}$")]
    private static partial Regex SafePrefix();

    /// <summary>The variable a user's password is read from, e.g. <c>REDIS_PASSWORD_INGEST</c>.</summary>
    public static string VariableFor(string user) => PasswordPlaceholders.VariableFor("REDIS_PASSWORD_", user);

    public static string Render(string template, string prefix, Func<string, string?> environment)
    {
        // The prefix lands inside key patterns: a '*', '?', '[' or a space would widen what a user may touch.
        if (!SafePrefix().IsMatch(prefix))
            throw new CliException($"key prefix '{prefix}' must be 1-64 of A-Z a-z 0-9 _ . -", ExitCodes.Usage);
        var lines = template.Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.Length > 0 && !l.StartsWith('#'))
            .Select(l => l.Replace("{{prefix}}", prefix, StringComparison.Ordinal));
        return PasswordPlaceholders.Replace(string.Join('\n', lines) + "\n", "REDIS_PASSWORD_", HashPassword, environment);
    }

    /// <summary>Redis's hashed-password rule: <c>#</c> and the lowercase hex SHA-256 of the password (https://redis.io/docs/latest/commands/acl-setuser/).</summary>
    public static string HashPassword(string password) => "#" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(password)));
}
