using Microsoft.Extensions.Options;

namespace NeuralTrade.Events.Workers.Monitor;

/// <summary>Checks what the attributes cannot: levels in the right order, windows that hold their minimum, one retrain lookback.</summary>
public sealed class MonitorOptionsConsistency : IValidateOptions<MonitorOptions>
{
    public ValidateOptionsResult Validate(string? name, MonitorOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        void Above(string what, Thresholds t)
        {
            if (!(t.Warn > 0 && t.Alert >= t.Warn))
                failures.Add($"Monitor:{what}: need 0 < Warn ≤ Alert (Warn={t.Warn}, Alert={t.Alert})");
        }

        void Below(string what, Thresholds t)
        {
            if (!(t.Alert > 0 && t.Warn >= t.Alert && t.Warn < 1))
                failures.Add($"Monitor:{what}: p-values need 0 < Alert ≤ Warn < 1 (Warn={t.Warn}, Alert={t.Alert})");
        }

        Above(nameof(options.Psi), options.Psi);
        Below(nameof(options.KsPValue), options.KsPValue);
        Above(nameof(options.PredictionPsi), options.PredictionPsi);
        Below(nameof(options.PredictionKsPValue), options.PredictionKsPValue);
        Above(nameof(options.PerformanceDrop), options.PerformanceDrop);
        foreach (var (feature, f) in options.Features)
        {
            if (f.Psi is { } psi)
                Above($"Features:{feature}:Psi", psi);
            if (f.KsPValue is { } ks)
                Below($"Features:{feature}:KsPValue", ks);
        }

        if (options.MinFeatureWindow > options.FeatureWindow)
            failures.Add($"Monitor:MinFeatureWindow ({options.MinFeatureWindow}) exceeds Monitor:FeatureWindow ({options.FeatureWindow})");
        if (options.MinPredictionWindow > options.PredictionWindow)
            failures.Add($"Monitor:MinPredictionWindow ({options.MinPredictionWindow}) exceeds Monitor:PredictionWindow ({options.PredictionWindow})");
        if (options.MinOutcomes > options.OutcomeWindow)
            failures.Add($"Monitor:MinOutcomes ({options.MinOutcomes}) exceeds Monitor:OutcomeWindow ({options.OutcomeWindow})");
        if (options is { RetrainLookbackCandles: not null, RetrainLookback: not null })
            failures.Add("Monitor:RetrainLookbackCandles and Monitor:RetrainLookback are both set; set one");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
