using System.ComponentModel.DataAnnotations;
using NeuralTrade.Events.Contracts;

namespace NeuralTrade.Events.Workers.Monitor;

public sealed class MonitorOptions
{
    public const string SectionName = "Monitor";

    /// <summary>Candles in the live window compared with the training baseline.</summary>
    [Range(50, 100_000)]
    public int FeatureWindow { get; set; } = 500;

    /// <summary>
    /// While no champion serves a series (or its baselines cannot be read), its features window is compared with the
    /// series' own history instead: the <see cref="ReferenceWindow"/> candles just before it (kept with the features
    /// window, so the store holds FeatureWindow + ReferenceWindow rows a series), once both are full.
    /// </summary>
    [Range(50, 100_000)]
    public int ReferenceWindow { get; set; } = 1000;

    /// <summary>Fewest valid candles in the window before data drift is measured.</summary>
    [Range(20, 100_000)]
    public int MinFeatureWindow { get; set; } = 200;

    /// <summary>Streamed predictions in the window compared with the validation baseline.</summary>
    [Range(50, 100_000)]
    public int PredictionWindow { get; set; } = 500;

    [Range(20, 100_000)]
    public int MinPredictionWindow { get; set; } = 200;

    /// <summary>Predictions whose realised label is known, scored for concept drift.</summary>
    [Range(20, 100_000)]
    public int OutcomeWindow { get; set; } = 300;

    [Range(10, 100_000)]
    public int MinOutcomes { get; set; } = 150;

    /// <summary>PSI of every feature, unless <see cref="Features"/> says otherwise (Evidently's 0.1 / 0.25).</summary>
    [Required]
    public Thresholds Psi { get; set; } = new(0.1, 0.25);

    /// <summary>KS p-value of every feature (lower is worse), unless <see cref="Features"/> says otherwise.</summary>
    [Required]
    public Thresholds KsPValue { get; set; } = new(1e-3, 1e-5);

    /// <summary>
    /// A PSI level counts only while the same values' KS test (corrected for autocorrelation) is significant at its warn
    /// level. PSI is an effect size: on smooth features (RSI, ATR, 20-candle volatility) a 500-candle window holds few
    /// independent values and PSI alone passes 0.25 on stationary data (README, "Monitor"). False uses PSI alone.
    /// </summary>
    public bool PsiNeedsSignificance { get; set; } = true;

    /// <summary>Per-feature thresholds by feature name, e.g. <c>Monitor:Features:volatility_20:Psi:Alert</c>.</summary>
    public Dictionary<string, FeatureThresholds> Features { get; set; } = [];

    /// <summary>PSI of the signal mix and of the confidence against the validation split.</summary>
    [Required]
    public Thresholds PredictionPsi { get; set; } = new(0.1, 0.25);

    [Required]
    public Thresholds PredictionKsPValue { get; set; } = new(1e-3, 1e-5);

    /// <summary>How far realised macro-F1 / accuracy may fall below the model's test figure (absolute).</summary>
    [Required]
    public Thresholds PerformanceDrop { get; set; } = new(0.10, 0.20);

    /// <summary>
    /// A level is left only when the statistic is back by this fraction of the way to "no drift" past the threshold
    /// (PSI below warn × (1 − h); p-value above warn^(1 − h); drop below warn × (1 − h)). The band is in the statistic's
    /// own units, so it means the same at every interval; how soon a left level may be announced again is the cooldown's
    /// business (<see cref="CooldownCandles"/>), which is counted in candles, so no separate dwell time is needed.
    /// </summary>
    [Range(0.0, 0.9)]
    public double Hysteresis { get; set; } = 0.2;

    /// <summary>
    /// Least candles between two events of one (series, statistic); escalating to an alert is never held back. Candles
    /// are counted as candle time (newest open time) since the last event divided by the series' interval, rounded down:
    /// 60 is an hour of 1m candles and 60 days of 1d candles. A gap in a series (a weekend, a halt) counts as the candles
    /// it would have held.
    /// </summary>
    [Range(0, 1_000_000)]
    public int CooldownCandles { get; set; } = 60;

    /// <summary>Optional floor in candle time added to <see cref="CooldownCandles"/> (both must have passed); unset by default.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "30.00:00:00")]
    public TimeSpan? Cooldown { get; set; }

    /// <summary>Severity from which the monitor asks for retraining.</summary>
    public DriftSeverity RetrainSeverity { get; set; } = DriftSeverity.High;

    /// <summary>
    /// Least candles between two retraining requests of one series, counted as <see cref="CooldownCandles"/> are
    /// (candle time since the last request divided by the interval): 360 is 6 hours of 1m candles, about a year of 1d.
    /// </summary>
    [Range(0, 10_000_000)]
    public int RetrainCooldownCandles { get; set; } = 360;

    /// <summary>Optional floor in candle time added to <see cref="RetrainCooldownCandles"/> (both must have passed); unset by default.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "365.00:00:00")]
    public TimeSpan? RetrainCooldown { get; set; }

    /// <summary>
    /// How many candles a drift retrain reaches back: the request's <c>from</c> is (n − 1) intervals before the newest
    /// candle, so a series without gaps trains on its newest n candles. Unset (and <see cref="RetrainLookback"/> unset)
    /// trains on all stored candles. Set at most one of the two. The request carries the champion's hyperparameters either way.
    /// </summary>
    [Range(1, 100_000_000)]
    public int? RetrainLookbackCandles { get; set; }

    /// <summary>
    /// How far back a drift retrain reaches in candle time, e.g. <c>3.00:00:00</c>: <c>from</c> = newest open time − lookback.
    /// The same at every interval in time, not in candles; prefer <see cref="RetrainLookbackCandles"/>.
    /// </summary>
    public TimeSpan? RetrainLookback { get; set; }

    /// <summary>Set false to report drift without asking for retraining.</summary>
    public bool Retrain { get; set; } = true;

    /// <summary>Messages the monitor queue works on at once.</summary>
    [Range(1, 256)]
    public int ConcurrentMessages { get; set; } = 8;

    /// <summary>How long one series' check may hold its lock, and how long a message waits for it before a retry.</summary>
    [Range(1, 600)]
    public int LockSeconds { get; set; } = 30;

    public Thresholds PsiOf(string feature) => Features.TryGetValue(feature, out var f) && f.Psi is { } t ? t : Psi;

    public Thresholds KsPValueOf(string feature) => Features.TryGetValue(feature, out var f) && f.KsPValue is { } t ? t : KsPValue;
}
