namespace NeuralTrade.Events.Modeling;

/// <summary>Unscaled feature windows, row-major <see cref="Count"/> × <see cref="Window"/> × <see cref="Features"/>.</summary>
public sealed record FeatureWindows(float[] Values, int Count, int Window, int Features)
{
    /// <summary>The unscaled windows of <paramref name="samples"/> of <paramref name="data"/>.</summary>
    public static FeatureWindows Of(SignalDataset data, IReadOnlyList<Sample> samples)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(samples);
        var f = data.Features.Columns;
        var values = new float[samples.Count * data.Window * f];
        data.CopyRawWindows(samples, values);
        return new FeatureWindows(values, samples.Count, data.Window, f);
    }

    /// <summary>Window <paramref name="index"/> (window × features).</summary>
    public ReadOnlySpan<float> this[int index] => Values.AsSpan(index * Window * Features, Window * Features);
}
