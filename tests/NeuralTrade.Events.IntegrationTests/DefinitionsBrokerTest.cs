using System.Text.Json;
using NeuralTrade.Events.Cli;
using RabbitMQ.Client;

namespace NeuralTrade.Events.IntegrationTests;

/// <summary>
/// deploy/rabbitmq/definitions.template.json, rendered as the deployment renders it and applied to this test's vhost
/// (users renamed per test, as users are global): every worker does its job with its own user, and nothing more.
/// </summary>
public abstract class DefinitionsBrokerTest : BrokerTest
{
    static readonly string TemplatePath = Path.Combine(AppContext.BaseDirectory, "deploy", "rabbitmq", "definitions.template.json");
    static readonly string AclTemplatePath = Path.Combine(AppContext.BaseDirectory, "deploy", "redis", "users.acl.template");
    readonly List<string> _redisUsers = [];
    readonly Dictionary<string, string> _passwords = [];
    readonly List<string> _users = [];

    protected string UserName(string user) => $"{VirtualHost}-{user}";

    /// <summary>Every password this test gave a broker or Redis user (to check that none is ever printed).</summary>
    protected IReadOnlyCollection<string> Passwords => _passwords.Values;

    protected string UrlOf(string user)
    {
        var a = Services.RabbitMq();
        return $"amqp://{Uri.EscapeDataString(UserName(user))}:{Uri.EscapeDataString(_passwords[user])}@{a.Host}:{a.Port}/{Uri.EscapeDataString(VirtualHost)}";
    }

    /// <summary>A Redis URL that logs in as this test's copy of <paramref name="user"/> of deploy/redis/users.acl.template.</summary>
    protected string RedisUrlOf(string user)
    {
        var redis = new Uri(Services.RedisUrl);
        return $"redis://{Uri.EscapeDataString(UserName(user))}:{Uri.EscapeDataString(_passwords[user])}@{redis.Host}:{redis.Port}";
    }

    [SetUp]
    public async Task ApplyDefinitions()
    {
        var template = await File.ReadAllTextAsync(TemplatePath);
        foreach (var user in JsonDocument.Parse(template).RootElement.GetProperty("users").EnumerateArray().Select(u => u.GetProperty("name").GetString()!))
            _passwords[user] = $"pw-{user}-{Guid.NewGuid():N}";
        var rendered = BrokerDefinitions.Render(template, v => _passwords.FirstOrDefault(p => BrokerDefinitions.VariableFor(p.Key) == v).Value);
        Assert.That(rendered, Does.Not.Contain("{{password"));
        Assert.That(_passwords.Values.Any(rendered.Contains), Is.False, "no password in the rendered definitions, only hashes");

        var definitions = JsonDocument.Parse(rendered).RootElement;
        var vhost = Uri.EscapeDataString(VirtualHost);
        foreach (var user in definitions.GetProperty("users").EnumerateArray())
        {
            var name = UserName(user.GetProperty("name").GetString()!);
            _users.Add(name);
            await Management.PutAsync($"api/users/{Uri.EscapeDataString(name)}", new Dictionary<string, object>
            {
                ["password_hash"] = user.GetProperty("password_hash").GetString()!,
                ["hashing_algorithm"] = user.GetProperty("hashing_algorithm").GetString()!,
                ["tags"] = string.Join(",", user.GetProperty("tags").EnumerateArray().Select(t => t.GetString())),
            });
        }

        foreach (var p in definitions.GetProperty("permissions").EnumerateArray())
        {
            await Management.PutAsync($"api/permissions/{vhost}/{Uri.EscapeDataString(UserName(p.GetProperty("user").GetString()!))}", new Dictionary<string, string>
            {
                ["configure"] = p.GetProperty("configure").GetString()!, ["write"] = p.GetProperty("write").GetString()!, ["read"] = p.GetProperty("read").GetString()!,
            });
        }

        // The topology (exchanges, queues with their arguments, bindings, policies) imported as the broker imports the
        // file, into this test's vhost: the workers then declare the same entities, which fails on any difference.
        await Management.PostAsync($"api/definitions/{vhost}", new Dictionary<string, JsonElement>
        {
            ["exchanges"] = definitions.GetProperty("exchanges"), ["queues"] = definitions.GetProperty("queues"),
            ["bindings"] = definitions.GetProperty("bindings"), ["policies"] = definitions.GetProperty("policies"),
        });

        await ApplyRedisAclAsync();
    }

    /// <summary>
    /// deploy/redis/users.acl.template rendered for this test's key prefix, each user created (renamed per test, as
    /// users are global) with ACL SETUSER; the shared test Redis keeps its default user, so that line is skipped.
    /// </summary>
    async Task ApplyRedisAclAsync()
    {
        var rendered = RedisAcl.Render(await File.ReadAllTextAsync(AclTemplatePath), KeyPrefix,
            v => _passwords.FirstOrDefault(p => RedisAcl.VariableFor(p.Key) == v).Value);
        Assert.That(_passwords.Values.Any(rendered.Contains), Is.False, "no password in the rendered ACL, only hashes");
        foreach (var line in rendered.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            Assert.That(words[0], Is.EqualTo("user"), line);
            if (words[1] == "default")
                continue;
            var name = UserName(words[1]);
            _redisUsers.Add(name);
            await Redis.GetDatabase().ExecuteAsync("ACL", ["SETUSER", name, "reset", .. words[2..]]);
        }
    }

    /// <summary>The users are global: removed once this test's workers have stopped (before, they would log refused logins).</summary>
    protected override async Task AfterHostsStoppedAsync()
    {
        foreach (var user in _users)
            await Management.DeleteAsync($"api/users/{Uri.EscapeDataString(user)}");
        foreach (var user in _redisUsers)
            await Redis.GetDatabase().ExecuteAsync("ACL", "DELUSER", user);
    }

    protected Task<(int Code, string Output)> CliAsync(string user, params string[] args) =>
        CliRun.RunAsync(new CliSettings(UrlOf(user), Services.ManagementUrl,
            _redisUsers.Contains(UserName(user)) ? RedisUrlOf(user) : Services.RedisUrl, KeyPrefix), args);

    /// <summary>Ready messages in a queue now (a passive declare as admin; the management figures lag); 0 where it does not exist yet.</summary>
    protected async Task<uint> DepthAsync(string queue)
    {
        await using var connection = await new ConnectionFactory { Uri = new Uri(UrlOf("admin")) }.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        try
        {
            return (await channel.QueueDeclarePassiveAsync(queue)).MessageCount;
        }
        catch (RabbitMQ.Client.Exceptions.OperationInterruptedException e) when (e.ShutdownReason?.ReplyCode == 404)
        {
            return 0;
        }
    }

    /// <summary>
    /// Does one thing as <paramref name="user"/> on a fresh channel with publisher confirms: null when the broker allowed
    /// it, else the broker's reply code and text (403 ACCESS_REFUSED, 406 PRECONDITION_FAILED, …).
    /// </summary>
    protected async Task<(int? Code, string Text)> AsUserAsync(string user, Func<IChannel, Task> act)
    {
        await using var connection = await new ConnectionFactory { Uri = new Uri(UrlOf(user)) }.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true,
            publisherConfirmationTrackingEnabled: true));
        try
        {
            await act(channel);
            return (null, "allowed");
        }
        catch (RabbitMQ.Client.Exceptions.OperationInterruptedException e)
        {
            return (e.ShutdownReason?.ReplyCode, e.ShutdownReason?.ReplyText ?? e.Message);
        }
        catch (RabbitMQ.Client.Exceptions.PublishException e)
        {
            // A publish the broker refused closes the channel: its close reason says why.
            return (channel.CloseReason?.ReplyCode ?? -1, channel.CloseReason?.ReplyText ?? e.Message);
        }
    }
}
