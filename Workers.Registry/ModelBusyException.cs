using System.Globalization;
using Microsoft.Extensions.Options;
using NeuralTrade.Events.Contracts;
using NeuralTrade.Events.Hosting;
using NeuralTrade.Events.MarketData;
using NeuralTrade.Events.Messaging;
using NeuralTrade.Events.Modeling;
using NeuralTrade.Events.Stores;
using NeuralTrade.Events.Tracking;

namespace NeuralTrade.Events.Workers.Registry;

/// <summary>The model's decision lock could not be had in time: the message goes back for a later retry.</summary>
public sealed class ModelBusyException(string message) : Exception(message);
