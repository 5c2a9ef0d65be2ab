using System.Text;
using NeuralTrade.Events.MarketData;

namespace NeuralTrade.Events.Modeling;

/// <summary>
/// Model names: one registered model (and MLflow experiment) per series, and one series per name. The mapping is
/// injective, so that no series can be named into another's model: letters (lower-cased; symbols are upper case only,
/// exchanges lower case only) and digits are kept, <c>-</c> separates exchange, symbol and interval, and every other
/// character is escaped after <c>_</c>: <c>_s</c> for <c>/</c>, <c>_h</c> for <c>-</c>, <c>_d</c> for <c>.</c>,
/// <c>_u</c> for <c>_</c>. <see cref="SeriesOf"/> reads the series back.
/// </summary>
public static class ModelNames
{
    public const string Prefix = "signal-";

    /// <summary><c>binance:BTC/USDT:1m</c> → <c>signal-binance-btc_susdt-1m</c>; <c>binance:BTC-USDT:1m</c> → <c>signal-binance-btc_husdt-1m</c>.</summary>
    public static string For(SeriesKey series)
    {
        var name = new StringBuilder(Prefix);
        Append(name, series.Exchange);
        name.Append('-');
        Append(name, series.Symbol);
        name.Append('-');
        Append(name, series.Interval);
        return name.ToString();
    }

    /// <summary>
    /// The series a model name was made for, or null when the name is not one <see cref="For"/> makes. Symbols come back
    /// upper case and exchanges and intervals lower case, as the candle rules require them.
    /// </summary>
    public static SeriesKey? SeriesOf(string modelName)
    {
        ArgumentNullException.ThrowIfNull(modelName);
        if (!modelName.StartsWith(Prefix, StringComparison.Ordinal))
            return null;
        var parts = modelName[Prefix.Length..].Split('-');
        if (parts.Length != 3 || Unescape(parts[0]) is not { Length: > 0 } exchange || Unescape(parts[1]) is not { Length: > 0 } symbol
            || Unescape(parts[2]) is not { Length: > 0 } interval)
            return null;
        var series = new SeriesKey(exchange, symbol.ToUpperInvariant(), interval);
        return For(series) == modelName ? series : null;
    }

    static void Append(StringBuilder name, string part)
    {
        foreach (var c in part)
        {
            if (char.IsAsciiLetterOrDigit(c))
                name.Append(char.ToLowerInvariant(c));
            else
                name.Append('_').Append(c switch
                {
                    '/' => 's',
                    '-' => 'h',
                    '.' => 'd',
                    '_' => 'u',
                    _ => throw new ArgumentException($"'{c}' cannot be part of a series key (see the candle rules)", nameof(part)),
                });
        }
    }

    static string? Unescape(string part)
    {
        var text = new StringBuilder(part.Length);
        for (var i = 0; i < part.Length; i++)
        {
            if (part[i] != '_')
            {
                text.Append(part[i]);
                continue;
            }

            if (++i == part.Length)
                return null;
            text.Append(part[i] switch { 's' => '/', 'h' => '-', 'd' => '.', 'u' => '_', _ => '\0' });
            if (text[^1] == '\0')
                return null;
        }

        return text.ToString();
    }
}
