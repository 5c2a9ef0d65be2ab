using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace NeuralTrade.Events.Hosting;

/// <summary>Names of our ActivitySources and Meters: one per component, <c>NeuralTrade.&lt;Component&gt;</c>.</summary>
public static class Telemetry
{
    public const string AllSources = "NeuralTrade.*";
    public const string AllMeters = "NeuralTrade.*";
}
