using MassTransit;

namespace NeuralTrade.Events.Messaging;

/// <summary>What one worker adds to the bus: its consumers and their definitions.</summary>
public sealed record BusContributor(string Worker, Action<IBusRegistrationConfigurator> Configure);
