namespace NeuralTrade.Events.Modeling;

/// <summary>What the model produced on its validation split: the prediction-drift baseline.</summary>
public sealed record PredictionBaseline(double[] ClassShares, double[] ConfidenceQuantiles, float[] ConfidenceSample);
