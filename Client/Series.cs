using NeuralTrade.Events.Contracts;

namespace NeuralTrade.Events.Client;

/// <summary>A series of candles: venue, instrument and interval, e.g. <c>("binance", "BTC/USDT", "1m")</c>.</summary>
/// <param name="Exchange">Venue: 1-32 of a-z, 0-9, '_', '.', '-'.</param>
/// <param name="Symbol">Instrument: <c>BASE</c> or <c>BASE/QUOTE</c>, each 1-20 of A-Z, 0-9, '.', '_', '-'.</param>
/// <param name="Interval">One of 1m 3m 5m 15m 30m 1h 2h 4h 6h 12h 1d.</param>
public readonly record struct Series(string Exchange, string Symbol, string Interval)
{
    /// <summary>The series of a prediction.</summary>
    public static Series Of(PredictionCompleted prediction)
    {
        ArgumentNullException.ThrowIfNull(prediction);
        return new Series(prediction.Exchange, prediction.Symbol, prediction.Interval);
    }

    /// <summary>The series of a candle.</summary>
    public static Series Of(Candle candle)
    {
        ArgumentNullException.ThrowIfNull(candle);
        return new Series(candle.Exchange, candle.Symbol, candle.Interval);
    }

    /// <summary><c>exchange:symbol:interval</c>, as the fleet writes a series.</summary>
    public override string ToString() => $"{Exchange}:{Symbol}:{Interval}";

    /// <summary>Throws an <see cref="ArgumentException"/> naming every malformed part.</summary>
    internal void Validate(string parameterName)
    {
        var problems = CandleRules.SeriesProblems(Exchange, Symbol, Interval, allowOpen: false);
        if (problems.Count > 0)
            throw new ArgumentException($"series '{this}': {string.Join("; ", problems)}", parameterName);
    }
}

/// <summary>
/// Which predictions a subscription receives: each member that is set must match, a null member matches anything.
/// <see cref="All"/> (nothing set) receives every series. The broker does the matching: the subscription's queue is
/// bound to the headers exchange <c>prediction.completed.by-series</c> (<see cref="Exchanges.PredictionCompletedBySeries"/>) with <see cref="ToBindingArguments"/>.
/// </summary>
/// <param name="Exchange">Venue to match, or null for any.</param>
/// <param name="Symbol">Instrument to match, or null for any.</param>
/// <param name="Interval">Interval to match, or null for any.</param>
public sealed record SeriesFilter(string? Exchange = null, string? Symbol = null, string? Interval = null)
{
    /// <summary>Every series.</summary>
    public static SeriesFilter All { get; } = new();

    /// <summary>Exactly one series.</summary>
    public static SeriesFilter For(Series series) => new(series.Exchange, series.Symbol, series.Interval);

    /// <summary>Exactly one series.</summary>
    public static SeriesFilter For(string exchange, string symbol, string interval) => new(exchange, symbol, interval);

    /// <summary>True when the series is one this filter lets through.</summary>
    public bool Matches(string? exchange, string? symbol, string? interval) =>
        (Exchange is null || string.Equals(Exchange, exchange, StringComparison.Ordinal))
        && (Symbol is null || string.Equals(Symbol, symbol, StringComparison.Ordinal))
        && (Interval is null || string.Equals(Interval, interval, StringComparison.Ordinal));

    /// <summary>
    /// The arguments of the binding to <c>prediction.completed.by-series</c>: <c>x-match: all</c> and each member
    /// that is set, under the header name the fleet sets on every <c>prediction.completed</c> (<c>exchange</c>,
    /// <c>symbol</c>, <c>interval</c>, the body's values). Members left open are omitted, so they match anything.
    /// </summary>
    public IDictionary<string, object?> ToBindingArguments()
    {
        var arguments = new Dictionary<string, object?>(StringComparer.Ordinal) { ["x-match"] = "all" };
        if (Exchange is not null)
            arguments[Exchanges.SeriesHeaders.Exchange] = Exchange;
        if (Symbol is not null)
            arguments[Exchanges.SeriesHeaders.Symbol] = Symbol;
        if (Interval is not null)
            arguments[Exchanges.SeriesHeaders.Interval] = Interval;
        return arguments;
    }

    /// <summary><c>exchange:symbol:interval</c> with <c>*</c> for each open member.</summary>
    public override string ToString() => $"{Exchange ?? "*"}:{Symbol ?? "*"}:{Interval ?? "*"}";

    /// <summary>
    /// Throws an <see cref="ArgumentException"/> for a member that no series can have (an empty string, a lower-case
    /// symbol, an unknown interval): such a subscription would wait forever for nothing.
    /// </summary>
    internal void Validate(string parameterName)
    {
        var problems = CandleRules.SeriesProblems(Exchange, Symbol, Interval, allowOpen: true);
        if (problems.Count > 0)
            throw new ArgumentException($"filter '{this}' matches no series: {string.Join("; ", problems)}", parameterName);
    }
}
