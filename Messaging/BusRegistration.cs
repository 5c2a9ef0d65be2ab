using System.Text.Json;
using MassTransit;
using MassTransit.Serialization.JsonConverters;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using NeuralTrade.Events.Contracts;

namespace NeuralTrade.Events.Messaging;

public static class BusRegistration
{
    /// <summary>Registers a worker's consumers; the bus itself is built once by <see cref="AddNeuralTradeBus"/>.</summary>
    public static IServiceCollection AddBusContributor(this IServiceCollection services, string worker,
        Action<IBusRegistrationConfigurator> configure, params Type[] publishes) =>
        services.AddSingleton(new BusContributor(worker, configure) { Publishes = publishes });

    /// <summary>
    /// Builds the one bus of this process from every registered worker: RabbitMQ when <c>RABBITMQ_URL</c> is set;
    /// MassTransit's in-memory transport when it is not and the process is embedded (<paramref name="embeddedByDefault"/>,
    /// as the one-process fleet is, or <c>Messaging:Embedded</c>); or the in-memory test harness. Otherwise it throws
    /// <see cref="BrokerNotConfiguredException"/>: a worker never falls back to a bus nothing else can reach. Call it after
    /// the workers' <c>Add…Worker()</c> calls.
    /// </summary>
    public static IHostApplicationBuilder AddNeuralTradeBus(this IHostApplicationBuilder builder, bool useTestHarness = false,
        bool embeddedByDefault = false)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        var contributors = services
            .Where(d => d.ServiceType == typeof(BusContributor) && d.ImplementationInstance is not null)
            .Select(d => (BusContributor)d.ImplementationInstance!)
            .ToList();
        var messaging = builder.Configuration.GetSection(MessagingOptions.SectionName).Get<MessagingOptions>() ?? new MessagingOptions();
        if (!useTestHarness && !messaging.UsesRabbitMq && !messaging.Embedded && !embeddedByDefault)
            throw new BrokerNotConfiguredException();

        void Register(IBusRegistrationConfigurator x)
        {
            // MassTransit 8.5 reports usage to its vendor by default (and logs a warning where it cannot reach it, as in
            // closed networks); the fleet's telemetry is its own OpenTelemetry.
            x.DisableUsageTelemetry();
            x.SetKebabCaseEndpointNameFormatter();
            foreach (var contributor in contributors)
                contributor.Configure(x);

            if (!useTestHarness && messaging.UsesRabbitMq)
            {
                x.UsingRabbitMq(ConfigureRabbitMq);
            }
            else
            {
                x.UsingInMemory((context, cfg) => ApplyConventions(context, cfg));
            }
        }

        if (!useTestHarness && messaging.UsesRabbitMq)
        {
            // Before the bus starts (hosted services start in order): every exchange this process publishes to exists.
            var published = contributors.SelectMany(c => c.Publishes).Distinct().ToList();
            services.AddHostedService(sp => new PublishedExchanges(sp.GetRequiredService<IOptions<MessagingOptions>>().Value, published,
                sp.GetRequiredService<Microsoft.Extensions.Logging.ILogger<PublishedExchanges>>()));
            services.AddHostedService(sp => new DeadLetterWatch(sp.GetRequiredService<IOptions<MessagingOptions>>().Value, sp.GetRequiredService<WorkQueues>(),
                sp.GetRequiredService<Microsoft.Extensions.Logging.ILogger<DeadLetterWatch>>()));
        }

        services.TryAddSingleton<WorkQueues>();

        services.TryAddSingleton<IDeliveryAttempts, InMemoryDeliveryAttempts>();
        if (useTestHarness)
            services.AddMassTransitTestHarness(Register);
        else
            services.AddMassTransit(Register);

        services.AddOptions<MassTransitHostOptions>().Configure<IOptions<MessagingOptions>>((host, options) =>
        {
            host.WaitUntilStarted = true;
            host.StartTimeout = TimeSpan.FromSeconds(60);
            host.StopTimeout = TimeSpan.FromSeconds(options.Value.StopTimeoutSeconds);
        });
        return builder;
    }

    /// <summary>The broker from <c>RABBITMQ_URL</c>: publisher confirms, TLS with an optional private CA, the fleet's conventions.</summary>
    static void ConfigureRabbitMq(IBusRegistrationContext context, IRabbitMqBusFactoryConfigurator cfg)
    {
        var options = context.GetRequiredService<IOptions<MessagingOptions>>().Value;
        RabbitMqAddress.TryParse(options.RabbitMqUrl!, out var address, out _);
        cfg.Host(address!.Host, (ushort)address.Port, address.VirtualHost, $"neuraltrade-{Environment.MachineName}", h =>
        {
            h.Username(address.Username);
            h.Password(address.Password);
            h.PublisherConfirmation = true;
            var endpoints = options.Endpoints();
            if (endpoints.Count > 1)
            {
                // A cluster: MassTransit connects to the first node that answers and, on losing it, to the next.
                h.UseCluster(c =>
                {
                    foreach (var (host, port) in endpoints)
                        c.Node($"{host}:{port}");
                });
            }

            if (address.UseTls)
            {
                h.UseSsl(s =>
                {
                    s.ServerName = address.Host;
                    if (options.TlsCaFile is { Length: > 0 } caFile)
                        s.CertificateValidationCallback = TlsTrust.ChainsTo(TlsTrust.LoadCa(caFile));
                });
            }
        });
        cfg.PrefetchCount = options.PrefetchCount;
        QueueTopology.ConfigureDeadLetterQueues(cfg);
        ApplyConventions(context, cfg);
    }

    /// <summary>MassTransit's JSON settings, made to write the public contract exactly as documented.</summary>
    public static JsonSerializerOptions ConfigureWireJson(JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        // MassTransit writes decimals as JSON strings; the contract says prices and volumes are JSON numbers.
        foreach (var converter in options.Converters.OfType<StringDecimalJsonConverter>().ToList())
            options.Converters.Remove(converter);
        return ContractJson.Configure(options);
    }

    /// <summary>The conventions of the public contract, the same on every transport.</summary>
    internal static void ApplyConventions<TEndpoint>(IBusRegistrationContext context, IBusFactoryConfigurator<TEndpoint> cfg)
        where TEndpoint : IReceiveEndpointConfigurator
    {
        cfg.ConfigureJsonSerializerOptions(ConfigureWireJson);

        // Raw JSON (content_type application/json) on every exchange: no MassTransit envelope leaks onto the
        // public contract. Without AnyMessageType a body that names its type (MT-MessageType) only reaches
        // consumers of that type, and a body from a non-.NET feed, which names none, reaches the queue's consumer.
        const RawSerializerOptions raw = RawSerializerOptions.AddTransportHeaders | RawSerializerOptions.CopyHeaders;
        cfg.UseRawJsonSerializer(raw, isDefault: true);
        // MassTransit's raw deserializer, reading each body once instead of twice (see SinglePassJsonDeserializer).
        cfg.AddDeserializer(new SinglePassJsonDeserializer.Factory(raw), isDefault: true);

        cfg.MessageTopology.SetEntityNameFormatter(new ContractEntityNameFormatter(cfg.MessageTopology.EntityNameFormatter));
        // The base record is not a message: publishing an event must not create an exchange for it.
        cfg.Publish<IntegrationEvent>(p => p.Exclude = true);

        // eventId and correlationId of the body are the AMQP message_id and correlation_id.
        // A message the fleet itself must act on is published mandatory: where no queue is bound (the broker returns
        // it), the publish fails and the message that caused it is retried and dead-lettered, never silently dropped.
        cfg.ConfigurePublish(p => p.UseExecute(ctx =>
        {
            if (ctx is PublishContext<IntegrationEvent> e)
            {
                e.MessageId = e.Message.EventId;
                e.CorrelationId = e.Message.CorrelationId;
                e.Mandatory = Exchanges.MustRoute(e.Message.GetType());
                // The series as AMQP headers, for the by-series headers exchanges (Exchanges.BySeries).
                if (Exchanges.SeriesOf(e.Message) is { } series)
                {
                    e.Headers.Set(Exchanges.SeriesHeaders.Exchange, series.Exchange);
                    e.Headers.Set(Exchanges.SeriesHeaders.Symbol, series.Symbol);
                    e.Headers.Set(Exchanges.SeriesHeaders.Interval, series.Interval);
                }
            }
        }));
        cfg.ConfigureSend(s => s.UseExecute(ctx =>
        {
            if (ctx is SendContext<IntegrationEvent> e)
            {
                e.MessageId = e.Message.EventId;
                e.CorrelationId = e.Message.CorrelationId;
            }
        }));

        cfg.ConfigureEndpoints(context);
    }
}
