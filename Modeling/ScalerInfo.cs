namespace NeuralTrade.Events.Modeling;

public sealed record ScalerInfo(float[] Mean, float[] Std, float Clip)
{
    public FeatureScaler ToScaler() => new(Mean, Std, Clip);
    public static ScalerInfo From(FeatureScaler s) => new(s.Mean, s.Std, s.Clip);
}
