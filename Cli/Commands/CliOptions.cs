using System.CommandLine;
using NeuralTrade.Events.MarketData;

namespace NeuralTrade.Events.Cli.Commands;

/// <summary>Arguments shared by several commands; each call makes a new one, as a command owns its options.</summary>
internal static class CliOptions
{
    public static Option<string> Exchange() => new("--exchange") { Description = "Venue of the series, e.g. binance.", Required = true };

    public static Option<string> Symbol() => new("--symbol") { Description = "Instrument of the series, e.g. BTC/USDT.", Required = true };

    public static Option<string> Interval()
    {
        var option = new Option<string>("--interval") { Description = $"Interval of the series: {string.Join(", ", Intervals.Names)}.", Required = true };
        option.Validators.Add(r =>
        {
            if (r.GetValue(option) is { } value && !Intervals.TryGetLength(value, out _))
                r.AddError($"--interval '{value}' is not one of {string.Join(", ", Intervals.Names)}.");
        });
        return option;
    }

    /// <summary>--json: the command's data as one JSON document on standard output (docs/operations.md lists each shape).</summary>
    public static Option<bool> Json(string what = "Print the result as one JSON document (camelCase, the contract's settings) instead of text.") =>
        new("--json") { Description = what };

    public static Option<int> Timeout(int seconds) => Positive("--timeout", $"Seconds to wait for the fleet's answer (default {seconds}).", seconds);

    public static Option<int> Positive(string name, string description, int defaultValue, int max = int.MaxValue)
    {
        var option = new Option<int>(name) { Description = description, DefaultValueFactory = _ => defaultValue };
        option.Validators.Add(r =>
        {
            if (r.GetValue(option) is var value && (value < 1 || value > max))
                r.AddError($"{name} must be between 1 and {max}.");
        });
        return option;
    }
}
