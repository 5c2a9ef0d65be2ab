using Microsoft.Extensions.DependencyInjection.Extensions;
using NeuralTrade.Events.Hosting;
using NeuralTrade.Events.Messaging;
using NeuralTrade.Events.Stores;
using StackExchange.Redis;

namespace NeuralTrade.Events.Workers.Monitor;

/// <summary>One entry of a rolling window: a time (Unix seconds, the candle's open time) and an encoded value.</summary>
public readonly record struct WindowEntry(long Time, byte[] Value);
