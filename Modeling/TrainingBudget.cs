namespace NeuralTrade.Events.Modeling;

/// <summary>
/// What a training request would cost, estimated before any work from its recipe and the candles it names, so that a
/// request over the worker's budget is refused with the figures instead of occupying a trainer for days.
/// </summary>
public static class TrainingBudget
{
    /// <summary>
    /// Floating-point operations of the recurrent part, which dominates: for every epoch, sample, time step, layer and
    /// direction, four gates of <c>hidden × (input + hidden)</c> multiply-adds (the first layer's input is hidden/2,
    /// later layers' 2·hidden), times three for the backward pass. The default recipe on 50,000 candles is about 5·10¹⁴.
    /// </summary>
    public static double EstimatedFlops(Hyperparameters hp, long candles)
    {
        ArgumentNullException.ThrowIfNull(hp);
        double h = hp.HiddenSize;
        var perStep = 2 * 8 * h * (h / 2 + h) + (hp.NumLayers - 1) * 2 * 8 * h * (2 * h + h);
        return 3 * perStep * hp.WindowSize * (double)Math.Max(0, candles) * hp.Epochs;
    }
}
