using MassTransit;
using NeuralTrade.Events.Contracts;

namespace NeuralTrade.Events.Benchmarks;

/// <summary>The transport bound: deserialize the request, publish an answer of the same shape, nothing else.</summary>
internal sealed class EchoConsumer : IConsumer<PredictionRequested>
{
    public Task Consume(ConsumeContext<PredictionRequested> context)
    {
        var r = context.Message;
        return context.Publish(new PredictionCompleted
        {
            RequestId = r.RequestId, Exchange = r.Exchange, Symbol = r.Symbol, Interval = r.Interval, AsOf = r.Candles![^1].OpenTime,
            Signal = Signal.Hold, Confidence = 0.4, Probabilities = new SignalProbabilities(0.3, 0.4, 0.3),
            Risk = new RiskAssessment(5, RiskLevel.Medium, ["volatility 0.10% per candle", "trend strength 0.20", "confidence 0.40"], "trade with reduced size"),
            Model = new ModelRef(InferenceThroughput.Model, 1), LatencyMs = 0,
        }, context.CancellationToken);
    }
}
