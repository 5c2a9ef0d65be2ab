using System.Net.Http.Headers;
using System.Text;

namespace NeuralTrade.Events.Tracking;

/// <summary>
/// The Authorization header MLflow's own clients send: <c>Bearer</c> with <c>MLFLOW_TRACKING_TOKEN</c>, else
/// <c>Basic</c> with <c>MLFLOW_TRACKING_USERNAME</c>/<c>PASSWORD</c> (MLflow's basic-auth app), else none.
/// </summary>
public static class MlflowAuthorization
{
    public static AuthenticationHeaderValue? Of(TrackingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!string.IsNullOrEmpty(options.MlflowToken))
            return new AuthenticationHeaderValue("Bearer", options.MlflowToken);
        if (!string.IsNullOrEmpty(options.MlflowUsername))
            return new AuthenticationHeaderValue("Basic",
                Convert.ToBase64String(Encoding.UTF8.GetBytes($"{options.MlflowUsername}:{options.MlflowPassword}")));
        return null;
    }
}
