using System.CommandLine;

namespace NeuralTrade.Events.Cli.Commands;

/// <summary><c>neuraltrade redis acl</c>: the fleet's Redis ACL users, with their passwords hashed.</summary>
internal sealed class RedisCommand(NeuralTradeCli cli)
{
    readonly Option<FileInfo> _template = new("--template")
    {
        Description = "ACL template (default deploy/redis/users.acl.template).",
        DefaultValueFactory = _ => new FileInfo(Path.Combine("deploy", "redis", "users.acl.template")),
    };

    readonly Option<string?> _prefix = new("--prefix") { Description = "The fleet's key prefix (default: REDIS_KEY_PREFIX or Redis__KeyPrefix, else nt)." };

    readonly Option<FileInfo?> _output = new("--out") { Description = "File to write (default: standard output)." };

    public Command Build()
    {
        var acl = new Command("acl",
            "Renders the Redis ACL users (one per worker, each limited to its own keys) with each password hashed from REDIS_PASSWORD_<USER> " +
            "or REDIS_PASSWORD_<USER>_FILE, for Redis's aclfile.")
        {
            _template, _prefix, _output,
        };
        acl.SetAction((parse, ct) => cli.Guard(() => AclAsync(parse.GetValue(_template)!, parse.GetValue(_prefix), parse.GetValue(_output), ct)));
        return new Command("redis", "Redis's own configuration.") { acl };
    }

    async Task<int> AclAsync(FileInfo source, string? prefix, FileInfo? target, CancellationToken ct)
    {
        if (!source.Exists)
            throw new CliException($"no such file {source.FullName}", ExitCodes.Usage);
        prefix ??= cli.Settings.RedisKeyPrefix;
        var rendered = RedisAcl.Render(await File.ReadAllTextAsync(source.FullName, ct), prefix, cli.Environment);
        return await BrokerCommand.WriteAsync(cli, rendered, target, ct);
    }
}
