using System.Globalization;
using CsvHelper;
using CsvHelper.Configuration;
using NeuralTrade.Events.Contracts;

namespace NeuralTrade.Events.MarketData;

/// <summary>
/// Candle files with the columns <c>date,open,high,low,close,volume</c> (header names in any case; other
/// columns ignored). <c>date</c> is the candle's open time: RFC 3339, <c>yyyy-MM-dd HH:mm[:ss]</c> in UTC,
/// or Unix seconds or milliseconds.
/// </summary>
public static class CandleCsv
{
    static readonly string[] Columns = ["date", "open", "high", "low", "close", "volume"];

    public static IEnumerable<CsvCandleRow> Read(TextReader reader, string exchange, string symbol, string interval)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var config = new CsvConfiguration(CultureInfo.InvariantCulture)
        {
            PrepareHeaderForMatch = a => a.Header.Trim().ToLowerInvariant(),
            TrimOptions = TrimOptions.Trim,
            DetectColumnCountChanges = false,
            BadDataFound = null,
        };
        using var csv = new CsvReader(reader, config);
        if (!csv.Read() || !csv.ReadHeader())
            throw new InvalidDataException("The CSV file is empty; it needs a header row date,open,high,low,close,volume.");
        var missing = Columns.Where(c => !csv.HeaderRecord!.Any(h => h.Trim().Equals(c, StringComparison.OrdinalIgnoreCase))).ToList();
        if (missing.Count > 0)
            throw new InvalidDataException(
                $"The CSV header lacks {string.Join(", ", missing)}; it has {string.Join(", ", csv.HeaderRecord!)}.");

        while (csv.Read())
        {
            var line = csv.Parser.RawRow;
            string? error = null;
            Candle? candle = null;
            if (!TryParseTime(csv.GetField("date"), out var openTime))
                error = $"date '{csv.GetField("date")}' is not RFC 3339, 'yyyy-MM-dd HH:mm:ss' (UTC) or Unix seconds/milliseconds.";
            else
            {
                var values = new decimal[5];
                for (var i = 1; i < Columns.Length && error is null; i++)
                {
                    var text = csv.GetField(Columns[i]);
                    if (!decimal.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out values[i - 1]))
                        error = $"{Columns[i]} '{text}' is not a number.";
                }

                if (error is null)
                    candle = new Candle(exchange, symbol, interval, openTime, values[0], values[1], values[2], values[3], values[4]);
            }

            yield return new CsvCandleRow(line, candle, error);
        }
    }

    public static void Write(TextWriter writer, IEnumerable<Candle> candles)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(candles);
        using var csv = new CsvWriter(writer, CultureInfo.InvariantCulture, leaveOpen: true);
        foreach (var column in Columns)
            csv.WriteField(column);
        csv.NextRecord();
        foreach (var c in candles)
        {
            csv.WriteField(c.OpenTime.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture));
            csv.WriteField(c.Open);
            csv.WriteField(c.High);
            csv.WriteField(c.Low);
            csv.WriteField(c.Close);
            csv.WriteField(c.Volume);
            csv.NextRecord();
        }
    }

    static bool TryParseTime(string? text, out DateTimeOffset time)
    {
        time = default;
        if (string.IsNullOrWhiteSpace(text))
            return false;
        if (long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var epoch))
        {
            // Ten digits or fewer are seconds (until 2286); more are milliseconds.
            time = text.Length <= 10 ? DateTimeOffset.FromUnixTimeSeconds(epoch) : DateTimeOffset.FromUnixTimeMilliseconds(epoch);
            return true;
        }

        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture,
            DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out time);
    }
}
