using MassTransit;

namespace NeuralTrade.Events.Messaging;

/// <summary>
/// What one worker adds to the bus: its consumers and their definitions, and the contract types it publishes, whose
/// exchanges it declares when it starts (so a subscriber can bind before the first event, and nothing published to
/// them is lost for want of an exchange).
/// </summary>
public sealed record BusContributor(string Worker, Action<IBusRegistrationConfigurator> Configure)
{
    public IReadOnlyList<Type> Publishes { get; init; } = [];
}
