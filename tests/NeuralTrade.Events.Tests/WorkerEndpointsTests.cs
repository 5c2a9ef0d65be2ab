using MassTransit;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using NeuralTrade.Events.Contracts;
using NeuralTrade.Events.Hosting;
using NeuralTrade.Events.Messaging;
using NeuralTrade.Events.Testing;
using NeuralTrade.Events.Workers.Ingest;

namespace NeuralTrade.Events.Tests;

/// <summary>What every worker process serves over HTTP, built as Workers.*/Program.cs builds it: health and a Prometheus scrape.</summary>
public sealed class WorkerEndpointsTests
{
    [Test]
    public async Task A_worker_serves_live_and_ready_health_and_its_metrics_in_prometheus_format()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Configuration["Messaging:RabbitMqUrl"] = null;
        builder.Configuration["Redis:Url"] = null;
        builder.AddServiceDefaults("ingest");
        builder.AddIngestWorker();
        builder.Configuration["Messaging:Embedded"] = "true";
        builder.AddNeuralTradeBus();
        await using var app = builder.Build();
        app.MapDefaultEndpoints();
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        using var http = new HttpClient { BaseAddress = new Uri(address) };

        // Some work, so that the worker's instruments have something to report.
        var bus = app.Services.GetRequiredService<IBus>();
        await bus.Publish(new MarketCandles { Candles = TestCandles.Series(5) });
        string metrics = "";
        for (var i = 0; i < 50 && !metrics.Contains("neuraltrade_ingest_messages", StringComparison.Ordinal); i++)
        {
            await Task.Delay(100);
            metrics = await http.GetStringAsync("/metrics");
        }

        Assert.Multiple(async () =>
        {
            Assert.That(await http.GetStringAsync("/health/live"), Is.EqualTo("Healthy"));
            Assert.That(await http.GetStringAsync("/health/ready"), Is.EqualTo("Healthy"), "the bus is up (MassTransit's ready check)");
            Assert.That(metrics, Does.Contain("# TYPE neuraltrade_ingest_candles_total counter"));
            Assert.That(metrics, Does.Match(@"neuraltrade_ingest_candles_total\{[^}]*outcome=""accepted""[^}]*\} [1-9][0-9]*"));
            Assert.That(metrics, Does.Contain("neuraltrade_ingest_duration_seconds_bucket"), "latency histogram");
            Assert.That(metrics, Does.Match(@"neuraltrade_ingest_messages_total\{[^}]*outcome=""processed""[^}]*\} [1-9]"), "queue work");
        });
        await app.StopAsync();
    }
}
