using System.Net;

namespace NeuralTrade.Events.Tracking;

/// <summary>An error answered by MLflow: <c>{"error_code": "...", "message": "..."}</c> with its HTTP status.</summary>
public sealed class MlflowException(HttpStatusCode status, string errorCode, string message)
    : Exception($"MLflow answered {(int)status} {errorCode}: {message}")
{
    public HttpStatusCode Status { get; } = status;
    public string ErrorCode { get; } = errorCode;
}
