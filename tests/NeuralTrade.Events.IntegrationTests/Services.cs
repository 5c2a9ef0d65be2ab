using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using NeuralTrade.Events.Messaging;
using NeuralTrade.Events.Stores;
using StackExchange.Redis;

namespace NeuralTrade.Events.IntegrationTests;

/// <summary>
/// The real services the tests use, from NEURALTRADE_RABBITMQ (amqp URL), NEURALTRADE_RABBITMQ_MANAGEMENT
/// (management API URL) and NEURALTRADE_REDIS. Unset: the test is ignored with how to run it. Set but not
/// answering: the test fails with how to start the services.
/// </summary>
public static class Services
{
    const string HowToStart = "Start them with `deploy/services.sh install && deploy/services.sh start` and export the variables "
        + "that `deploy/services.sh env` prints, or run the whole suite with `deploy/test.sh`.";

    public static string RabbitMqUrl => Require("NEURALTRADE_RABBITMQ");
    public static string ManagementUrl => Require("NEURALTRADE_RABBITMQ_MANAGEMENT");
    public static string RedisUrl => Require("NEURALTRADE_REDIS");
    /// <summary>The broker's TLS listener (amqps://, a certificate from the private CA below).</summary>
    public static string RabbitMqTlsUrl => Require("NEURALTRADE_RABBITMQ_TLS");
    public static string RabbitMqCaFile => Require("NEURALTRADE_RABBITMQ_CA");
    /// <summary>The same Redis over TLS (<c>rediss://localhost:…</c>) and the private CA that signed its certificate.</summary>
    public static string RedisTlsUrl => Require("NEURALTRADE_REDIS_TLS");
    public static string RedisCaFile => Require("NEURALTRADE_REDIS_CA");

    public static string TlsUrlFor(string vhost)
    {
        if (!RabbitMqAddress.TryParse(RabbitMqTlsUrl, out var a, out var error))
            Assert.Fail($"NEURALTRADE_RABBITMQ_TLS: {error}");
        return $"amqps://{Uri.EscapeDataString(a!.Username)}:{Uri.EscapeDataString(a.Password)}@{a.Host}:{a.Port}/{Uri.EscapeDataString(vhost)}";
    }

    static string Require(string variable)
    {
        var value = Environment.GetEnvironmentVariable(variable);
        if (string.IsNullOrWhiteSpace(value))
            Assert.Ignore($"{variable} is not set, so the broker tests do not run. {HowToStart}");
        return value!;
    }

    public static async Task<IConnectionMultiplexer> ConnectRedisAsync()
    {
        var options = new RedisOptions { Url = RedisUrl }.ToConfigurationOptions();
        options.AbortOnConnectFail = true;
        options.ConnectTimeout = 3_000;
        try
        {
            return await ConnectionMultiplexer.ConnectAsync(options);
        }
        catch (RedisConnectionException e)
        {
            Assert.Fail($"Redis at {RedisUrl} does not answer ({e.Message}). {HowToStart}");
            throw;
        }
    }

    public static Management CreateManagement()
    {
        var client = new HttpClient { BaseAddress = new Uri(ManagementUrl.TrimEnd('/') + "/"), Timeout = TimeSpan.FromSeconds(10) };
        var address = RabbitMq();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes($"{address.Username}:{address.Password}")));
        return new Management(client, HowToStart);
    }

    public static RabbitMqAddress RabbitMq()
    {
        if (!RabbitMqAddress.TryParse(RabbitMqUrl, out var address, out var error))
            Assert.Fail($"NEURALTRADE_RABBITMQ: {error}");
        return address!;
    }

    public static string UrlFor(string vhost)
    {
        var a = RabbitMq();
        return $"amqp://{Uri.EscapeDataString(a.Username)}:{Uri.EscapeDataString(a.Password)}@{a.Host}:{a.Port}/{Uri.EscapeDataString(vhost)}";
    }
}

/// <summary>The parts of RabbitMQ's management HTTP API the tests need (https://www.rabbitmq.com/docs/http-api-reference).</summary>
public sealed class Management(HttpClient http, string howToStart) : IDisposable
{
    public async Task CreateVirtualHostAsync(string vhost, string user)
    {
        try
        {
            (await http.PutAsync($"api/vhosts/{Uri.EscapeDataString(vhost)}", null)).EnsureSuccessStatusCode();
        }
        catch (HttpRequestException e)
        {
            Assert.Fail($"RabbitMQ's management API at {http.BaseAddress} does not answer ({e.Message}). {howToStart}");
        }

        (await http.PutAsJsonAsync($"api/permissions/{Uri.EscapeDataString(vhost)}/{Uri.EscapeDataString(user)}",
            new { configure = ".*", write = ".*", read = ".*" })).EnsureSuccessStatusCode();
    }

    /// <summary>PUTs a JSON body to the management API (users, permissions, policies), failing the test with the broker's answer.</summary>
    public async Task PutAsync(string path, object body)
    {
        using var response = await http.PutAsJsonAsync(path, body);
        if (!response.IsSuccessStatusCode)
            Assert.Fail($"PUT {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    /// <summary>POSTs a JSON body to the management API (a vhost's definitions), failing the test with the broker's answer.</summary>
    public async Task PostAsync(string path, object body)
    {
        using var response = await http.PostAsJsonAsync(path, body);
        if (!response.IsSuccessStatusCode)
            Assert.Fail($"POST {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    public async Task DeleteAsync(string path) => (await http.DeleteAsync(path)).Dispose();

    public async Task DeleteVirtualHostAsync(string vhost) => await http.DeleteAsync($"api/vhosts/{Uri.EscapeDataString(vhost)}");

    /// <summary>The queue's management record, or null where the queue does not exist (MassTransit declares <c>_error</c> queues on first use).</summary>
    public async Task<JsonElement?> FindQueueAsync(string vhost, string queue)
    {
        using var response = await http.GetAsync($"api/queues/{Uri.EscapeDataString(vhost)}/{Uri.EscapeDataString(queue)}");
        if (response.StatusCode == System.Net.HttpStatusCode.NotFound)
            return null;
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    public async Task<JsonElement> GetQueueAsync(string vhost, string queue)
    {
        using var response = await http.GetAsync($"api/queues/{Uri.EscapeDataString(vhost)}/{Uri.EscapeDataString(queue)}");
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    /// <summary>Waits until the queue holds no ready and no unacknowledged message (the management figures lag a few seconds).</summary>
    public async Task WaitForQueueEmptyAsync(string vhost, string queue, TimeSpan timeout)
    {
        var deadline = DateTimeOffset.UtcNow + timeout;
        var quietSince = (DateTimeOffset?)null;
        while (DateTimeOffset.UtcNow < deadline)
        {
            var q = await GetQueueAsync(vhost, queue);
            var busy = (q.TryGetProperty("messages", out var m) ? m.GetInt32() : 1) + (q.TryGetProperty("messages_unacknowledged", out var u) ? u.GetInt32() : 1);
            if (busy == 0)
            {
                quietSince ??= DateTimeOffset.UtcNow;
                if (DateTimeOffset.UtcNow - quietSince > TimeSpan.FromSeconds(2))
                    return;
            }
            else
            {
                quietSince = null;
            }

            await Task.Delay(500);
        }

        Assert.Fail($"queue {queue} in {vhost} still had messages after {timeout.TotalSeconds:F0} s");
    }

    /// <summary>Closes every client connection to <paramref name="vhost"/> from the broker's side, as a network cut would.</summary>
    public async Task<int> CloseConnectionsAsync(string vhost, string? exceptClientName = null)
    {
        // The management API lists a connection only after its next statistics tick (5 s by default): poll.
        List<JsonElement> matching = [];
        for (var attempt = 0; attempt < 60 && matching.Count == 0; attempt++)
        {
            if (attempt > 0)
                await Task.Delay(250);
            var connections = await http.GetFromJsonAsync<JsonElement>("api/connections");
            matching = connections.EnumerateArray()
                .Where(c => c.GetProperty("vhost").GetString() == vhost)
                .Where(c => exceptClientName is null || !(c.TryGetProperty("client_properties", out var p)
                    && p.TryGetProperty("connection_name", out var n) && n.GetString() == exceptClientName))
                .ToList();
        }

        var closed = 0;
        foreach (var connection in matching)
        {
            var name = connection.GetProperty("name").GetString()!;
            (await http.DeleteAsync($"api/connections/{Uri.EscapeDataString(name)}")).EnsureSuccessStatusCode();
            closed++;
        }

        return closed;
    }

    public void Dispose() => http.Dispose();
}
