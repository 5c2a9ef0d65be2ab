using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace NeuralTrade.Events.Tracking;

public sealed record MlflowMetric(string Key, double Value, long Timestamp, long Step);
