using System.Diagnostics;
using Microsoft.Extensions.Hosting;
using NeuralTrade.Events.Hosting;
using NeuralTrade.Events.Messaging;

namespace NeuralTrade.Events.Tests;

/// <summary>A worker process never falls back to an in-memory bus that nothing else can reach: it refuses to start, in one line.</summary>
public sealed class WorkerStartTests
{
    [TestCase("Ingest"), TestCase("Training"), TestCase("Registry"), TestCase("Inference"), TestCase("Monitor")]
    public async Task A_worker_process_without_a_broker_refuses_to_start_with_one_line_naming_the_setting(string worker)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, $"NeuralTrade.Events.Workers.{worker}.dll");
        var start = new ProcessStartInfo("dotnet", [dll]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var name in new[] { "RABBITMQ_URL", "Messaging__RabbitMqUrl", "Messaging__Embedded" })
            start.Environment.Remove(name);
        start.Environment["Urls"] = "http://127.0.0.1:0";

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        var lines = (await stderr).Split('\n', StringSplitOptions.RemoveEmptyEntries);

        Assert.That(process.ExitCode, Is.EqualTo(WorkerProgram.ConfigurationError), $"stdout: {await stdout}");
        Assert.That(lines, Has.Length.EqualTo(1), "one line, no stack trace");
        Assert.That(lines[0], Does.StartWith($"{worker.ToLowerInvariant()}: RABBITMQ_URL is not set").And.Contain("Messaging__Embedded=true"));
    }

    [Test]
    public void Building_the_bus_without_a_broker_is_refused_unless_the_process_asks_for_the_in_memory_bus()
    {
        static HostApplicationBuilder Builder(string? embedded)
        {
            var builder = Host.CreateApplicationBuilder();
            builder.Configuration["Messaging:RabbitMqUrl"] = null;
            builder.Configuration["Messaging:Embedded"] = embedded;
            return builder;
        }

        Assert.Throws<BrokerNotConfiguredException>(() => Builder(null).AddNeuralTradeBus());
        Assert.DoesNotThrow(() => Builder("true").AddNeuralTradeBus(), "Messaging:Embedded=true");
        Assert.DoesNotThrow(() => Builder(null).AddNeuralTradeBus(embeddedByDefault: true), "the one-process fleet");
        Assert.DoesNotThrow(() => Builder(null).AddNeuralTradeBus(useTestHarness: true), "MassTransit's test harness");
    }
}
