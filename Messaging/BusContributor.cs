using Microsoft.Extensions.Configuration;
using System.Text.Json;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using MassTransit.Serialization.JsonConverters;
using NeuralTrade.Events.Contracts;

namespace NeuralTrade.Events.Messaging;

/// <summary>What one worker adds to the bus: its consumers and their definitions.</summary>
public sealed record BusContributor(string Worker, Action<IBusRegistrationConfigurator> Configure);
