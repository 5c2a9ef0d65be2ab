using TorchSharp;
using static TorchSharp.torch;

namespace NeuralTrade.Events.Modeling;

/// <summary>
/// Class probabilities from a <see cref="SignalPredictor"/>: the one forward path that training's evaluation, the gate,
/// Inference and the benchmarks use. Runs synchronously on the calling thread (TorchSharp's dispose scopes are per thread).
/// </summary>
public static class Predictor
{
    /// <summary>Class probabilities (n × 3, row-major) for <paramref name="samples"/>.</summary>
    public static float[] PredictProbabilities(SignalPredictor model, SignalDataset data, FeatureScaler scaler, IReadOnlyList<Sample> samples,
        int batchSize, Device device, double temperature = 1)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(samples);
        var f = data.Features.Columns;
        var windows = new float[samples.Count * data.Window * f];
        data.CopyWindows(samples, scaler, windows);
        return PredictProbabilities(model, windows, samples.Count, data.Window, f, batchSize, device, temperature);
    }

    /// <summary>
    /// Class probabilities for already scaled windows (n × window × features): the path Inference uses too. With a
    /// <paramref name="temperature"/> (the artifact's calibration, <see cref="LoadedModel.Temperature"/>) they are
    /// softmax(logits / T); 1 leaves them uncalibrated.
    /// </summary>
    public static float[] PredictProbabilities(SignalPredictor model, float[] scaledWindows, int count, int window, int features, int batchSize,
        Device device, double temperature = 1)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(scaledWindows);
        if (!(temperature > 0) || !double.IsFinite(temperature))
            throw new ArgumentOutOfRangeException(nameof(temperature), temperature, "a temperature must be positive and finite");
        model.eval();
        using var _ = no_grad();
        var result = new float[count * SignalClasses.Count];
        var per = window * features;
        // Held in a variable for the whole call: a Scalar converted on the fly can be finalized while libtorch reads it (see AdamWStep).
        using var scale = temperature.ToScalar();
        for (var offset = 0; offset < count; offset += batchSize)
        {
            using var scope = NewDisposeScope();
            var n = Math.Min(batchSize, count - offset);
            var x = tensor(scaledWindows.AsSpan(offset * per, n * per).ToArray(), [n, window, features]).to(device);
            var logits = model.forward(x);
            var probabilities = softmax(temperature == 1 ? logits : logits.div(scale), 1).cpu();
            probabilities.data<float>().CopyTo(result, offset * SignalClasses.Count);
        }

        return result;
    }
}
