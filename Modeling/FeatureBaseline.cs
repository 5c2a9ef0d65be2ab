namespace NeuralTrade.Events.Modeling;

/// <summary>Distribution of one raw feature over the training rows: the drift baseline.</summary>
/// <param name="Name">Feature name.</param>
/// <param name="QuantileEdges">11 edges of 10 equal-count bins (min, deciles, max).</param>
/// <param name="Sample">Up to 500 values, evenly spaced in time, for two-sample tests.</param>
public sealed record FeatureBaseline(string Name, double[] QuantileEdges, float[] Sample);
