using NeuralTrade.Events.Contracts;
using static TorchSharp.torch;

namespace NeuralTrade.Events.Modeling;

/// <summary>
/// Scores a loaded model on a window of a series: the samples whose last candle opens in [from, to], labelled by
/// one <see cref="LabelSpec"/> (so that two models are judged against the same truth), each model reading its own
/// feature spec, scaler and window length. The Registry's gate compares candidate and champion with it.
/// </summary>
public static class WindowEvaluation
{
    /// <summary>Candles a window needs before <c>from</c> (feature warm-up and the model's window) and after <c>to</c> (the label horizon).</summary>
    public static (int Before, int After) Margins(LoadedModel model, LabelSpec labels)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(labels);
        return (model.FeatureSpec.Warmup + model.Manifest.WindowSize, labels.Horizon + 1);
    }

    public static EvaluationReport Evaluate(LoadedModel model, IReadOnlyList<Candle> candles, LabelSpec labels, DateTimeOffset from,
        DateTimeOffset to, double costBps, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(candles);
        ArgumentNullException.ThrowIfNull(labels);
        if (candles.Count == 0)
            throw new InvalidOperationException("no candles to evaluate on");
        var data = SignalDataset.Build(candles, model.Manifest.WindowSize, labels, model.FeatureSpec, CandleGaps.MaxGapCandlesOf(model.Manifest.Hyperparameters));
        var samples = data.Samples.Where(s => candles[s.End].OpenTime >= from && candles[s.End].OpenTime <= to).ToList();
        if (samples.Count == 0)
            throw new InvalidOperationException($"no labelled window ends between {from:O} and {to:O} in the {candles.Count} candles given");
        var probabilities = Predictor.PredictProbabilities(model.Model, data, model.Scaler, samples, 512, device ?? CPU, model.Temperature);
        return Evaluation.Evaluate(candles, samples, probabilities, new BacktestOptions { Horizon = labels.Horizon, CostBps = costBps });
    }
}
