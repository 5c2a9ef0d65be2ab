namespace NeuralTrade.Events.Modeling;

/// <summary>Standardises features with statistics fitted on training rows, and clips to ±<see cref="Clip"/>.</summary>
public sealed record FeatureScaler(float[] Mean, float[] Std, float Clip = 5f)
{
    public static FeatureScaler Fit(FeatureMatrix features, int firstRow, int lastRow)
    {
        ArgumentNullException.ThrowIfNull(features);
        var f = features.Columns;
        var mean = new double[f];
        var sq = new double[f];
        var n = 0;
        for (var r = Math.Max(firstRow, features.FirstValid); r <= lastRow; r++, n++)
        {
            for (var c = 0; c < f; c++)
            {
                double v = features[r, c];
                mean[c] += v;
                sq[c] += v * v;
            }
        }

        if (n == 0)
            throw new InvalidOperationException("No valid feature rows to fit the scaler on.");
        var m = new float[f];
        var s = new float[f];
        for (var c = 0; c < f; c++)
        {
            var mu = mean[c] / n;
            m[c] = (float)mu;
            s[c] = (float)Math.Max(Math.Sqrt(Math.Max(sq[c] / n - mu * mu, 0)), 1e-8);
        }

        return new FeatureScaler(m, s);
    }

    /// <summary>Scales rows of <see cref="Mean"/>.Length features in place.</summary>
    public void TransformInPlace(Span<float> rows)
    {
        var f = Mean.Length;
        for (var i = 0; i < rows.Length; i++)
        {
            var c = i % f;
            var z = (rows[i] - Mean[c]) / Std[c];
            rows[i] = float.IsFinite(z) ? Math.Clamp(z, -Clip, Clip) : 0f;
        }
    }
}
