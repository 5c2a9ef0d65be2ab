using System.Collections.Concurrent;
using NeuralTrade.Events.Hosting;
using NeuralTrade.Events.Messaging;
using NeuralTrade.Events.Stores;
using StackExchange.Redis;

namespace NeuralTrade.Events.Workers.Training;

/// <summary>A job as stored: the request (contract JSON), its state, the result once known, the latest progress.</summary>
public sealed record TrainingJob(Guid RequestId, string RequestJson, string Status, int Attempts, string? Owner, string? ResultJson,
    string? ProgressJson, string? Error);
