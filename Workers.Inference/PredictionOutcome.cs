using System.Diagnostics;
using NeuralTrade.Events.Contracts;
using NeuralTrade.Events.Hosting;
using NeuralTrade.Events.MarketData;
using NeuralTrade.Events.Messaging;
using NeuralTrade.Events.Modeling;
using NeuralTrade.Events.Stores;

namespace NeuralTrade.Events.Workers.Inference;

/// <summary>An answer: a prediction, or why there is none.</summary>
public sealed record PredictionOutcome(PredictionCompleted? Prediction, PredictionFailed? Failure);
