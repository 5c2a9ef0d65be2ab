using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Options;
using NeuralTrade.Events.Messaging;

namespace NeuralTrade.Events.Hosting;

/// <summary>
/// What every worker process does: service defaults, the worker, the bus, health and metrics endpoints, run. A setting
/// that stops it (no broker, an invalid option) ends it with one line on stderr naming the setting, and exit code 2.
/// </summary>
public static class WorkerProgram
{
    public const int ConfigurationError = 2;

    public static async Task<int> RunAsync(string[] args, string worker, Action<WebApplicationBuilder> addWorker)
    {
        ArgumentNullException.ThrowIfNull(addWorker);
        try
        {
            var builder = WebApplication.CreateSlimBuilder(args);
            builder.AddServiceDefaults(worker);
            addWorker(builder);
            builder.AddNeuralTradeBus();
            await using var app = builder.Build();
            app.MapDefaultEndpoints();
            await app.RunAsync();
            return 0;
        }
        catch (Exception e) when (e is BrokerNotConfiguredException or OptionsValidationException)
        {
            await Console.Error.WriteLineAsync($"{worker}: {e.Message}");
            return ConfigurationError;
        }
    }
}
