using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly;

namespace NeuralTrade.Events.Tracking;

public static class TrackingRegistration
{
    /// <summary>
    /// The run tracker, the artifact reader and, with <c>MLFLOW_TRACKING_URI</c>, the MLflow client behind a Polly
    /// pipeline: a per-attempt timeout and retries with jittered exponential backoff on transient failures
    /// (connection errors, timeouts, 408/429/5xx), under an overall timeout.
    /// </summary>
    public static IHostApplicationBuilder AddRunTracking(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var options = builder.Configuration.GetSection(TrackingOptions.SectionName).Get<TrackingOptions>() ?? new TrackingOptions();
        builder.Services.AddOptions<TrackingOptions>().BindConfiguration(TrackingOptions.SectionName)
            .Validate(o => !o.UsesMlflow || Uri.TryCreate(o.MlflowUri, UriKind.Absolute, out var u) && u.Scheme is "http" or "https",
                "Tracking:MlflowUri (MLFLOW_TRACKING_URI) must be an http:// or https:// URL")
            .Validate(o => !string.IsNullOrWhiteSpace(o.LocalDirectory), "Tracking:LocalDirectory must be set")
            .Validate(o => string.IsNullOrEmpty(o.MlflowToken) || string.IsNullOrEmpty(o.MlflowUsername),
                "give MLflow either a token (MLFLOW_TRACKING_TOKEN) or a user and password (MLFLOW_TRACKING_USERNAME/PASSWORD), not both")
            .Validate(o => string.IsNullOrEmpty(o.MlflowUsername) == string.IsNullOrEmpty(o.MlflowPassword),
                "MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD go together")
            .ValidateOnStart();

        if (options.UsesMlflow)
        {
            builder.Services.AddHttpClient<MlflowClient>((sp, http) =>
                {
                    var o = sp.GetRequiredService<IOptions<TrackingOptions>>().Value;
                    http.BaseAddress = new Uri(o.MlflowUri!.TrimEnd('/') + "/api/2.0/");
                    http.Timeout = Timeout.InfiniteTimeSpan; // the pipeline owns timeouts
                    http.DefaultRequestHeaders.Authorization = MlflowAuthorization.Of(o);
                })
                .AddResilienceHandler("mlflow", (pipeline, context) =>
                {
                    var o = context.ServiceProvider.GetRequiredService<IOptions<TrackingOptions>>().Value;
                    pipeline.AddTimeout(TimeSpan.FromSeconds(o.TimeoutSeconds * (o.Retries + 1) * 2));
                    pipeline.AddRetry(new HttpRetryStrategyOptions
                    {
                        MaxRetryAttempts = o.Retries,
                        BackoffType = DelayBackoffType.Exponential,
                        UseJitter = true,
                        Delay = TimeSpan.FromMilliseconds(200),
                    });
                    pipeline.AddTimeout(TimeSpan.FromSeconds(o.TimeoutSeconds));
                });
        }

        builder.Services.TryAddSingleton(sp => new RunTracker(sp.GetRequiredService<IOptions<TrackingOptions>>().Value,
            options.UsesMlflow ? sp.GetRequiredService<MlflowClient>() : null, sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<RunTracker>>()));
        builder.Services.TryAddSingleton(sp => new ArtifactReader(sp.GetRequiredService<IOptions<TrackingOptions>>().Value.LocalDirectory,
            options.UsesMlflow ? sp.GetRequiredService<MlflowClient>() : null, sp.GetRequiredService<IOptions<TrackingOptions>>().Value.MaxArtifactBytes));
        return builder;
    }
}
