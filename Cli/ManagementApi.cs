using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace NeuralTrade.Events.Cli;

/// <summary>
/// The management HTTP API (the same figures the management UI shows), for queue depths:
/// <c>GET /api/queues/{vhost}</c>.
/// </summary>
internal sealed class ManagementApi(CliSettings settings) : IDisposable
{
    readonly HttpClient _http = Create(settings);

    static HttpClient Create(CliSettings settings)
    {
        var handler = new HttpClientHandler();
        if (settings.CertificateValidation is { } validate)
            handler.ServerCertificateCustomValidationCallback = (request, certificate, chain, errors) => validate(request, certificate, chain, errors);
        var http = new HttpClient(handler) { BaseAddress = settings.Management, Timeout = TimeSpan.FromSeconds(15) };
        var broker = settings.Broker;
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes($"{broker.Username}:{broker.Password}")));
        return http;
    }

    public async Task<IReadOnlyList<QueueInfo>> QueuesAsync(CancellationToken cancellationToken)
    {
        var vhost = Uri.EscapeDataString(settings.Broker.VirtualHost);
        HttpResponseMessage response;
        try
        {
            response = await _http.GetAsync($"api/queues/{vhost}?columns=name,messages_ready,messages_unacknowledged,consumers,message_stats", cancellationToken);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            throw new CliException($"cannot reach the RabbitMQ management API at {settings.Management} ({e.GetBaseException().Message}); " +
                "enable the rabbitmq_management plugin or set RABBITMQ_MANAGEMENT_URL", ExitCodes.Unreachable);
        }

        using (response)
        {
            if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
                throw new CliException($"the management API at {settings.Management} refused user '{settings.Broker.Username}' ({(int)response.StatusCode}): it needs the 'monitoring' tag", ExitCodes.Unreachable);
            if (response.StatusCode == HttpStatusCode.NotFound)
                throw new CliException($"the management API at {settings.Management} knows no vhost '{settings.Broker.VirtualHost}'");
            response.EnsureSuccessStatusCode();
            using var json = JsonDocument.Parse(await response.Content.ReadAsStreamAsync(cancellationToken));
            return json.RootElement.EnumerateArray().Select(q => new QueueInfo(
                q.GetProperty("name").GetString()!,
                Long(q, "messages_ready"), Long(q, "messages_unacknowledged"), (int)Long(q, "consumers"),
                Rate(q, "publish_details"), Rate(q, "deliver_get_details"))).OrderBy(q => q.Name, StringComparer.Ordinal).ToList();
        }
    }

    static long Long(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt64() : 0;

    static double Rate(JsonElement e, string name) =>
        e.TryGetProperty("message_stats", out var stats) && stats.TryGetProperty(name, out var details) && details.TryGetProperty("rate", out var rate)
            ? rate.GetDouble()
            : 0;

    public void Dispose() => _http.Dispose();
}
