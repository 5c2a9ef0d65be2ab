using NeuralTrade.Events.Contracts;
using MassTransit;
using NeuralTrade.Events.Messaging;
using NeuralTrade.Events.Stores;

namespace NeuralTrade.Events.Workers.Ingest;

public static class IngestWorker
{
    /// <summary>Everything the Ingest worker needs; the bus is built afterwards by <c>AddNeuralTradeBus()</c>.</summary>
    public static IHostApplicationBuilder AddIngestWorker(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<IngestOptions>().BindConfiguration(IngestOptions.SectionName).ValidateOnStart();
        builder.Services.AddSingleton<Microsoft.Extensions.Options.IValidateOptions<IngestOptions>, IngestOptionsValidator>();
        builder.AddCandleStore();
        builder.Services.AddBusContributor("ingest", x => x.AddConsumer<MarketCandlesConsumer, MarketCandlesConsumerDefinition>(),
            typeof(DataIngested), typeof(DataRejected));
        return builder;
    }
}
