using NeuralTrade.Events.Contracts;
using NeuralTrade.Events.Workers.Monitor;

namespace NeuralTrade.Events.Tests;

/// <summary>Hysteresis, cooldown and recovery of one statistic.</summary>
public sealed class DriftTrackerTests
{
    static readonly DateTimeOffset T0 = new(2024, 3, 1, 0, 0, 0, TimeSpan.Zero);
    static readonly TimeWindow Window = new(T0, T0);
    static readonly CandleCooldown Cooldown = new(60, TimeSpan.FromMinutes(1));

    static DriftReading Psi(double value) => DriftReading.Growing(DriftType.Data, "psi", "rsi_14", value, new Thresholds(0.1, 0.25), Window);

    /// <summary>Steps the values one minute apart; returns what was published at each step (null for nothing).</summary>
    static List<string?> Run(params double[] values) => RunReadings(values.Select(Psi).ToArray());

    static List<string?> RunReadings(params DriftReading[] readings) => RunReadings(Cooldown, readings);

    /// <summary>Steps the readings one <paramref name="cooldown"/> interval apart.</summary>
    static List<string?> RunReadings(CandleCooldown cooldown, params DriftReading[] readings)
    {
        var state = DriftState.None;
        var published = new List<string?>();
        for (var i = 0; i < readings.Length; i++)
        {
            var decision = DriftTracker.Step(state, readings[i], T0 + cooldown.Interval * i, 0.2, cooldown);
            state = DriftState.Parse(decision.State.Serialize());
            published.Add(decision.Publish is { } s ? (decision.Recovered ? "recovered" : s.ToString().ToLowerInvariant()) : null);
        }

        return published;
    }

    [Test]
    public void An_episode_is_announced_once_and_its_end_noted_once() =>
        Assert.That(Run(0.05, 0.12, 0.15, 0.11, 0.13, 0.05, 0.04), Is.EqualTo(new[] { null, "medium", null, null, null, "recovered", null }));

    [Test]
    public void Noise_around_a_threshold_stays_one_episode()
    {
        // Falls under 0.1 but not under 0.08 (0.1 × (1 − 0.2)): still the same warning.
        Assert.That(Run(0.11, 0.09, 0.105, 0.085, 0.11, 0.09), Is.EqualTo(new[] { "medium", null, null, null, null, null }));
    }

    [Test]
    public void Escalation_to_an_alert_is_announced_at_once()
    {
        Assert.That(Run(0.12, 0.3, 0.22, 0.31, 0.05), Is.EqualTo(new[] { "medium", "high", null, null, "recovered" }));
    }

    [Test]
    public void A_new_episode_within_the_cooldown_is_held_back_then_announced_if_it_lasts()
    {
        var values = new List<double> { 0.3, 0.01, 0.3 };          // alert, recovered, alert again 2 minutes in: held back
        values.AddRange(Enumerable.Repeat(0.3, 60));               // still drifting when the hour is up
        var published = Run([.. values]);
        Assert.That(published.Take(3), Is.EqualTo(new[] { "high", "recovered", null }));
        var late = published.Select((p, i) => (p, i)).Where(x => x.p is not null).Skip(2).ToList();
        Assert.That(late, Has.Count.EqualTo(1), "one late announcement, not one per check");
        Assert.That(late[0], Is.EqualTo(("high", 61)), "announced one cooldown after the recovery note at minute 1");
    }

    [Test]
    public void A_flapping_statistic_does_not_become_a_storm()
    {
        var values = Enumerable.Range(0, 120).Select(i => i % 2 == 0 ? 0.3 : 0.01).ToArray();
        var published = Run(values).Count(p => p is not null);
        Assert.That(published, Is.LessThanOrEqualTo(6), "two hours of flapping: a few events, not 120");
    }

    [Test]
    public void P_values_use_the_same_rules_on_a_log_scale()
    {
        var t = new Thresholds(1e-3, 1e-5);
        DriftReading P(double p) => DriftReading.PValue(DriftType.Data, "ks_pvalue", "rsi_14", p, t, Window);
        // 2e-3 is inside the band (clear above 1e-3^0.8 ≈ 4e-3): still warned. 0.5 is clear.
        Assert.That(RunReadings(P(0.5), P(5e-4), P(2e-3), P(1e-6), P(0.5)), Is.EqualTo(new[] { null, "medium", null, "high", "recovered" }));
    }

    [Test]
    public void A_performance_drop_is_measured_from_the_models_test_figure()
    {
        var drop = new Thresholds(0.1, 0.2);
        DriftReading F1(double value) => DriftReading.Performance(DriftType.Concept, "macro_f1", value, 0.5, drop, Window);
        Assert.That(F1(0.42).RawLevel, Is.Zero);
        Assert.That(F1(0.38).RawLevel, Is.EqualTo(1));
        Assert.That(F1(0.29).RawLevel, Is.EqualTo(2));
        Assert.That(F1(0.29).AlertThreshold, Is.EqualTo(0.3).Within(1e-12), "the event names the F1 level crossed");
        Assert.That(RunReadings(F1(0.5), F1(0.35), F1(0.25), F1(0.5)), Is.EqualTo(new[] { null, "medium", "high", "recovered" }));
    }

    [Test]
    public void A_gated_reading_counts_only_while_its_test_is_significant()
    {
        // PSI 0.3 (alert-sized) with p = 0.2: noise, no level. With p = 1e-4 (< 1e-3): alert.
        var noisy = Psi(0.3).GatedBy(0.2, 1e-3);
        var significant = Psi(0.3).GatedBy(1e-4, 1e-3);
        var banded = Psi(0.3).GatedBy(2e-3, 1e-3); // inside the gate's hysteresis band
        Assert.That(RunReadings(noisy, noisy), Is.EqualTo(new string?[] { null, null }));
        Assert.That(RunReadings(significant, banded, noisy), Is.EqualTo(new[] { "high", null, "recovered" }));
        Assert.That(RunReadings(banded), Is.EqualTo(new string?[] { null }), "the band keeps a level but does not start one");
    }

    [Test]
    public void The_cooldown_counts_candles_so_a_daily_and_a_minute_series_decide_the_same()
    {
        var values = new List<double> { 0.3, 0.01, 0.3 };
        values.AddRange(Enumerable.Repeat(0.3, 40));
        values.AddRange(Enumerable.Range(0, 60).Select(i => i % 2 == 0 ? 0.3 : 0.01));
        var readings = values.Select(Psi).ToArray();
        var minutes = RunReadings(new CandleCooldown(20, TimeSpan.FromMinutes(1)), readings);
        var days = RunReadings(new CandleCooldown(20, TimeSpan.FromDays(1)), readings);
        Assert.That(days, Is.EqualTo(minutes));
        Assert.That(days.Count(p => p is not null), Is.InRange(4, 12), "an event per 20 candles at most, recoveries aside");
        Assert.That(days[21], Is.EqualTo("high"), "the onset held back at candle 2 is announced 20 candles after the recovery note at candle 1");
    }

    [Test]
    public void A_cooldown_is_whole_candles_and_an_optional_floor_in_candle_time()
    {
        var daily = new CandleCooldown(3, TimeSpan.FromDays(1));
        Assert.That(daily.HasPassed(null, T0), Is.True, "nothing to cool down from");
        Assert.That(daily.HasPassed(T0, T0.AddDays(2).AddHours(23)), Is.False, "2.96 candles are 2");
        Assert.That(daily.HasPassed(T0, T0.AddDays(3)), Is.True);
        var floored = daily with { Floor = TimeSpan.FromDays(5) };
        Assert.That(floored.HasPassed(T0, T0.AddDays(4)), Is.False, "both must have passed");
        Assert.That(floored.HasPassed(T0, T0.AddDays(5)), Is.True);
        Assert.That(CandleCooldown.CandlesBetween(T0, T0.AddHours(6), TimeSpan.FromMinutes(1)), Is.EqualTo(360));
    }

    [Test]
    public void State_round_trips_through_its_stored_form()
    {
        var state = new DriftState(2, 1, T0);
        Assert.That(DriftState.Parse(state.Serialize()), Is.EqualTo(state));
        Assert.That(DriftState.Parse(DriftState.None.Serialize()), Is.EqualTo(DriftState.None));
        Assert.That(DriftState.Parse(null), Is.EqualTo(DriftState.None));
    }
}
