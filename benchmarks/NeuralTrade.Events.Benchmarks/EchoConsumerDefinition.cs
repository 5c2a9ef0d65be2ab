using MassTransit;
using NeuralTrade.Events.Workers.Inference;

namespace NeuralTrade.Events.Benchmarks;

/// <summary>
/// Queue <c>bench-echo</c>, bound to <see cref="RawTradingClient.EchoExchange"/> only (not to prediction.requested,
/// whose messages are the worker's), with the Inference worker's limit of messages in flight.
/// </summary>
internal sealed class EchoConsumerDefinition : ConsumerDefinition<EchoConsumer>
{
    public EchoConsumerDefinition()
    {
        EndpointName = "bench-echo";
        ConcurrentMessageLimit = new InferenceOptions().ConcurrentRequests;
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator, IConsumerConfigurator<EchoConsumer> consumerConfigurator,
        IRegistrationContext context)
    {
        endpointConfigurator.ConfigureConsumeTopology = false;
        if (endpointConfigurator is IRabbitMqReceiveEndpointConfigurator rabbit)
            rabbit.Bind(RawTradingClient.EchoExchange);
    }
}
