using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace NeuralTrade.Events.Tracking;

public sealed record MlflowRun(string RunId, string ExperimentId, string ArtifactUri, string Status);
