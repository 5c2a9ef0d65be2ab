using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using NeuralTrade.Events.Contracts;

namespace NeuralTrade.Events.Tracking;

public sealed record RunMetric(string Key, double Value, long Step);
