using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using NeuralTrade.Events.Contracts;
using NeuralTrade.Events.MarketData;
using NeuralTrade.Events.Modeling;
using NeuralTrade.Events.Tracking;

namespace NeuralTrade.Events.Workers.Training;

/// <summary>
/// The dataset a training run read, as an MLflow dataset input (<c>runs/log-inputs</c>): the series' candles from the
/// candle store, named after the series, with a digest of exactly those candles, where they came from, their columns
/// (MLflow ColSpec) and a profile of the range (rows, first and last open time, gaps, prices, volume, and how the
/// run split them into training, validation and test samples). Nothing in it is a path or URL to open.
/// </summary>
internal static class TrainingDatasets
{
    /// <summary>What <c>source_type</c> says: the fleet's candle store (Redis, or the in-memory store of the embedded fleet).</summary>
    public const string SourceType = "neuraltrade_candle_store";

    /// <summary>The candle's columns, as MLflow's ColSpec schema JSON (<c>{"mlflow_colspec": [...]}</c>).</summary>
    public static readonly string Schema = JsonSerializer.Serialize(new
    {
        mlflow_colspec = new object[]
        {
            new { type = "datetime", name = "openTime", required = true },
            new { type = "double", name = "open", required = true },
            new { type = "double", name = "high", required = true },
            new { type = "double", name = "low", required = true },
            new { type = "double", name = "close", required = true },
            new { type = "double", name = "volume", required = true },
        },
    });

    public static MlflowDatasetInput Input(SeriesKey series, IReadOnlyList<Candle> candles, TrainingInfo training)
    {
        ArgumentNullException.ThrowIfNull(candles);
        ArgumentNullException.ThrowIfNull(training);
        var c = CultureInfo.InvariantCulture;
        var step = Intervals.LengthOf(series.Interval);
        long gaps = 0, missing = 0;
        for (var i = 1; i < candles.Count; i++)
        {
            var candlesBetween = (candles[i].OpenTime - candles[i - 1].OpenTime).Ticks / step.Ticks - 1;
            if (candlesBetween > 0)
                (gaps, missing) = (gaps + 1, missing + candlesBetween);
        }

        var profile = JsonSerializer.Serialize(new
        {
            num_rows = candles.Count,
            first_open_time = candles.Count > 0 ? candles[0].OpenTime.UtcDateTime.ToString("O", c) : null,
            last_open_time = candles.Count > 0 ? candles[^1].OpenTime.UtcDateTime.ToString("O", c) : null,
            interval = series.Interval,
            gaps,
            missing_candles = missing,
            close_first = candles.Count > 0 ? candles[0].Close : (decimal?)null,
            close_last = candles.Count > 0 ? candles[^1].Close : (decimal?)null,
            close_min = candles.Count > 0 ? candles.Min(x => x.Close) : (decimal?)null,
            close_max = candles.Count > 0 ? candles.Max(x => x.Close) : (decimal?)null,
            volume_total = candles.Sum(x => x.Volume),
            train_samples = training.TrainSamples,
            validation_samples = training.ValidationSamples,
            test_samples = training.TestSamples,
            validation_to = training.ValidationTo?.UtcDateTime.ToString("O", c),
            test_to = training.TestTo?.UtcDateTime.ToString("O", c),
        });
        var source = JsonSerializer.Serialize(new
        {
            series = series.ToString(),
            from = candles.Count > 0 ? candles[0].OpenTime.UtcDateTime.ToString("O", c) : null,
            to = candles.Count > 0 ? candles[^1].OpenTime.UtcDateTime.ToString("O", c) : null,
        });
        return new MlflowDatasetInput(new MlflowDataset(series.ToString(), Digest(candles), SourceType, source, Schema, profile),
            new Dictionary<string, string> { [MlflowDatasetInput.ContextTag] = "training" });
    }

    /// <summary>
    /// The first 16 hex digits of the SHA-256 of the candles in a canonical text form (open time in ticks, then the
    /// decimals as written invariantly, one candle a line): equal candles give equal digests on every machine.
    /// </summary>
    public static string Digest(IReadOnlyList<Candle> candles)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var c = CultureInfo.InvariantCulture;
        foreach (var x in candles)
        {
            sha.AppendData(Encoding.UTF8.GetBytes(string.Create(c,
                $"{x.OpenTime.UtcTicks} {x.Open} {x.High} {x.Low} {x.Close} {x.Volume}\n")));
        }

        return Convert.ToHexStringLower(sha.GetHashAndReset())[..16];
    }
}
