using System.Text.RegularExpressions;

namespace NeuralTrade.Events.Cli;

/// <summary>
/// The <c>{{password:USER}}</c> placeholders of a configuration template (the broker's definitions, Redis's ACL): each
/// becomes the hash of USER's password, read from <c>PREFIX&lt;USER&gt;</c> or from the file named by
/// <c>PREFIX&lt;USER&gt;_FILE</c> (Docker secrets). Every missing variable is named in one error.
/// </summary>
internal static partial class PasswordPlaceholders
{
    [GeneratedRegex(@"\{\{password:(?<user>[a-z0-9_-]+)\}\}")]
    private static partial Regex Placeholder();

    /// <summary>The variable a user's password is read from, e.g. <c>RABBITMQ_PASSWORD_INGEST</c> for prefix <c>RABBITMQ_PASSWORD_</c>.</summary>
    public static string VariableFor(string prefix, string user) => prefix + user.ToUpperInvariant().Replace('-', '_');

    public static string Replace(string template, string prefix, Func<string, string> hash, Func<string, string?> environment)
    {
        var missing = new List<string>();
        var rendered = Placeholder().Replace(template, m =>
        {
            var variable = VariableFor(prefix, m.Groups["user"].Value);
            if (PasswordOf(variable, environment) is { } password)
                return hash(password);
            missing.Add(variable);
            return m.Value;
        });
        if (missing.Count > 0)
            throw new CliException($"no password for {string.Join(", ", missing.Distinct())}: set each variable, or NAME_FILE to a file holding it", ExitCodes.Usage);
        return rendered;
    }

    /// <summary>A secret from <paramref name="variable"/>, or from the file named by <c>VARIABLE_FILE</c>; null when neither is set.</summary>
    static string? PasswordOf(string variable, Func<string, string?> environment)
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
}
