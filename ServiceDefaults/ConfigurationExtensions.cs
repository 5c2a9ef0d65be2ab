using Microsoft.Extensions.Configuration;
using NeuralTrade.Events.Messaging;
using NeuralTrade.Events.Stores;

namespace NeuralTrade.Events.Hosting;

public static class ConfigurationExtensions
{
    // The documented environment variables, mapped onto the option sections that validate them.
    static readonly (string Variable, string Key)[] WellKnownVariables =
    [
        ("RABBITMQ_URL", $"{MessagingOptions.SectionName}:{nameof(MessagingOptions.RabbitMqUrl)}"),
        ("REDIS_URL", $"{RedisOptions.SectionName}:{nameof(RedisOptions.Url)}"),
        ("RABBITMQ_CLUSTER_NODES", $"{MessagingOptions.SectionName}:{nameof(MessagingOptions.ClusterNodes)}"),
        ("RABBITMQ_CA_FILE", $"{MessagingOptions.SectionName}:{nameof(MessagingOptions.TlsCaFile)}"),
        ("REDIS_CA_FILE", $"{RedisOptions.SectionName}:{nameof(RedisOptions.CaFile)}"),
        ("MLFLOW_TRACKING_URI", "Tracking:MlflowUri"),
        ("MLFLOW_TRACKING_USERNAME", "Tracking:MlflowUsername"),
        ("MLFLOW_TRACKING_PASSWORD", "Tracking:MlflowPassword"),
        ("MLFLOW_TRACKING_TOKEN", "Tracking:MlflowToken"),
        // The name the deployment gives this replica (a StatefulSet pod's name, a compose service's hostname): what an
        // Inference instance names its model.deployed queue after, so a recreated replica finds its queue again.
        ("NEURALTRADE_INSTANCE_ID", "Inference:InstanceId"),
    ];

    /// <summary>
    /// Adds <c>RABBITMQ_URL</c>, <c>RABBITMQ_CLUSTER_NODES</c>, <c>RABBITMQ_CA_FILE</c>, <c>REDIS_URL</c>, <c>REDIS_CA_FILE</c>, <c>MLFLOW_TRACKING_URI</c> and MLflow's
    /// credentials (<c>MLFLOW_TRACKING_USERNAME</c>/<c>PASSWORD</c> or <c>MLFLOW_TRACKING_TOKEN</c>) as configuration keys, and
    /// <c>NEURALTRADE_INSTANCE_ID</c>.
    /// They win over appsettings, as environment variables do.
    /// </summary>
    public static IConfigurationBuilder AddNeuralTradeEnvironment(this IConfigurationBuilder configuration)
    {
        var values = new Dictionary<string, string?>();
        foreach (var (variable, key) in WellKnownVariables)
        {
            var value = Environment.GetEnvironmentVariable(variable);
            if (!string.IsNullOrWhiteSpace(value))
                values[key] = value;
        }

        return configuration.AddInMemoryCollection(values);
    }
}
