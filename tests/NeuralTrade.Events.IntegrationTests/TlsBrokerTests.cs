using System.Text.Json;
using NeuralTrade.Events.Cli;
using NeuralTrade.Events.Contracts;
using NeuralTrade.Events.MarketData;
using NeuralTrade.Events.Workers.Ingest;

namespace NeuralTrade.Events.IntegrationTests;

/// <summary>
/// amqps:// by configuration: the broker's TLS listener has a certificate from a private CA (deploy/services.sh makes
/// one); a worker and the CLI given that CA (RABBITMQ_CA_FILE) connect, and without it the handshake is refused and said.
/// </summary>
public sealed class TlsBrokerTests : BrokerTest
{
    static Task<(int Code, string Output)> CliAsync(CliSettings settings, params string[] args) => CliRun.RunAsync(settings, args);

    [Test]
    public async Task A_worker_and_the_cli_work_over_amqps_with_the_private_ca()
    {
        var url = Services.TlsUrlFor(VirtualHost);
        await StartHostAsync(b => b.AddIngestWorker(), new Dictionary<string, string?>
        {
            ["Messaging:RabbitMqUrl"] = url, ["Messaging:TlsCaFile"] = Services.RabbitMqCaFile,
        });
        var series = new SeriesKey("sim", "TLS/USD", "1m");
        var candles = new MarketSimulator(new SimulatedMarket { Exchange = series.Exchange, Symbol = series.Symbol }).Generate(20).ToList();
        await Amqp.PublishAsync(Exchanges.MarketCandles, JsonSerializer.Serialize(new MarketCandles { Candles = candles }, ContractJson.Options));
        for (var i = 0; i < 100 && await CandleStore.CountAsync(series) < 20; i++)
            await Task.Delay(100);
        Assert.That(await CandleStore.CountAsync(series), Is.EqualTo(20), "Ingest, connected over TLS, stored what a plain feed published");

        var settings = new CliSettings(url, Services.ManagementUrl, Services.RedisUrl, KeyPrefix, Services.RabbitMqCaFile);
        var (code, output) = await CliAsync(settings, "queues");
        Assert.That(code, Is.EqualTo(ExitCodes.Ok), output);
        Assert.That(output, Does.Match(@"│ ingest\s*│\s*0\s*│\s*\d+\s*│\s*1\s*│"), "the CLI reads the queues over TLS; Ingest is its consumer");
    }

    [Test]
    public async Task Without_the_ca_the_handshake_is_refused_with_a_message_that_names_the_setting()
    {
        var settings = new CliSettings(Services.TlsUrlFor(VirtualHost), Services.ManagementUrl, Services.RedisUrl, KeyPrefix);
        var (code, output) = await CliAsync(settings, "predict", "--exchange", "sim", "--symbol", "TLS/USD", "--interval", "1m");
        Assert.That(code, Is.EqualTo(ExitCodes.Unreachable));
        Assert.That(output, Does.Contain("TLS handshake failed").And.Contain("RABBITMQ_CA_FILE"));

        var (badCa, refused) = await CliAsync(settings with { CaFile = "/nonexistent/ca.pem" }, "queues");
        Assert.That((badCa, refused.Contains("RABBITMQ_CA_FILE: The CA certificate file /nonexistent/ca.pem does not exist", StringComparison.Ordinal)),
            Is.EqualTo((ExitCodes.Usage, true)), refused);
    }

    [Test]
    public async Task A_worker_and_the_cli_use_redis_over_tls_with_the_private_ca_and_are_refused_without_it()
    {
        // Ingest writes its candles through rediss:// (the same Redis, its TLS port), trusting only the private CA.
        await StartHostAsync(b => b.AddIngestWorker(), new Dictionary<string, string?>
        {
            ["Redis:Url"] = Services.RedisTlsUrl, ["Redis:CaFile"] = Services.RedisCaFile,
        });
        var series = new SeriesKey("sim", "RTLS/USD", "1m");
        var candles = new MarketSimulator(new SimulatedMarket { Exchange = series.Exchange, Symbol = series.Symbol }).Generate(20).ToList();
        await Amqp.PublishAsync(Exchanges.MarketCandles, JsonSerializer.Serialize(new MarketCandles { Candles = candles }, ContractJson.Options));
        for (var i = 0; i < 100 && await CandleStore.CountAsync(series) < 20; i++)
            await Task.Delay(100);
        Assert.That(await CandleStore.CountAsync(series), Is.EqualTo(20), "Ingest, connected to Redis over TLS, stored the candles");

        var settings = new CliSettings(Services.UrlFor(VirtualHost), Services.ManagementUrl, Services.RedisTlsUrl, KeyPrefix, RedisCaFile: Services.RedisCaFile);
        var (code, output) = await CliAsync(settings, "models", "list");
        Assert.That(code, Is.EqualTo(ExitCodes.Ok), output);

        var (untrusted, refused) = await CliAsync(settings with { RedisCaFile = null }, "models", "list");
        Assert.That(untrusted, Is.EqualTo(ExitCodes.Unreachable), refused);
        var (missing, named) = await CliAsync(settings with { RedisCaFile = "/nonexistent/ca.pem" }, "models", "list");
        Assert.That((missing, named.Contains("REDIS_CA_FILE", StringComparison.Ordinal)), Is.EqualTo((ExitCodes.Usage, true)), named);
    }
}
