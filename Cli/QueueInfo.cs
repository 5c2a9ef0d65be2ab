namespace NeuralTrade.Events.Cli;

/// <summary>A queue as the RabbitMQ management API reports it.</summary>
internal sealed record QueueInfo(string Name, long Ready, long Unacknowledged, int Consumers, double PublishRate, double DeliverRate)
{
    public long Messages => Ready + Unacknowledged;
    public bool IsDeadLetter => Name.EndsWith("_error", StringComparison.Ordinal);
}
