using System.Text.Json;
using MassTransit.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using NeuralTrade.Events.Contracts;
using NeuralTrade.Events.Hosting;
using NeuralTrade.Events.MarketData;
using NeuralTrade.Events.Messaging;
using NeuralTrade.Events.Stores;
using NeuralTrade.Events.Testing;
using NeuralTrade.Events.Workers.Training;

namespace NeuralTrade.Events.Tests;

/// <summary>How often a training request reads its candles from the store: once, to train.</summary>
[NonParallelizable]
public sealed class TrainingCandleReadsTests
{
    static readonly SeriesKey Series = new("sim", "PLANT/USD", "1m");

    [Test]
    public async Task A_request_for_the_whole_history_reads_the_candles_once_to_train()
    {
        var store = new CountingCandleStore(new InMemoryCandleStore());
        await store.AppendAsync(Series, PlantedMarket.Generate(1_200, seed: 4), null);
        var runs = Path.Combine(Path.GetTempPath(), "nt-runs-" + Guid.NewGuid().ToString("N")[..8]);
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Tracking:LocalDirectory"] = runs, ["Training:PollIntervalMs"] = "50",
        });
        builder.Services.AddSingleton<ICandleStore>(store);
        builder.AddServiceDefaults("training-reads-tests");
        builder.AddTrainingWorker();
        builder.AddNeuralTradeBus(useTestHarness: true);
        using var host = builder.Build();
        var harness = host.Services.GetTestHarness();
        harness.TestTimeout = harness.TestInactivityTimeout = TimeSpan.FromSeconds(60);
        await host.StartAsync();
        try
        {
            var request = new TrainingRequested
            {
                RequestId = Guid.NewGuid(), Exchange = "sim", Symbol = "PLANT/USD", Interval = "1m", Reason = "test",
                Hyperparameters = new Dictionary<string, JsonElement>
                {
                    ["windowSize"] = J("16"), ["hiddenSize"] = J("8"), ["numLayers"] = J("1"), ["epochs"] = J("1"), ["minSamples"] = J("100"),
                    ["fixedThreshold"] = J("0.006"), ["volatilityScale"] = J("0"), ["batchSize"] = J("64"),
                },
            };
            await harness.Bus.Publish(request);

            await harness.PublishedSingle<TrainingCompleted>(e => e.RequestId == request.RequestId);

            Assert.That(store.RangeReads, Is.EqualTo(1), "the consumer counts the history without reading it; the run reads it once");
        }
        finally
        {
            await host.StopAsync();
            if (Directory.Exists(runs))
                Directory.Delete(runs, recursive: true);
        }
    }

    static JsonElement J(string raw) => JsonDocument.Parse(raw).RootElement;

    /// <summary>Counts range reads; everything else passes through.</summary>
    sealed class CountingCandleStore(ICandleStore inner) : ICandleStore
    {
        int _rangeReads;

        public int RangeReads => Volatile.Read(ref _rangeReads);

        public Task<IReadOnlyList<AppendStatus>> AppendAsync(SeriesKey series, IReadOnlyList<Candle> candles, string? receipt,
            CancellationToken cancellationToken = default) => inner.AppendAsync(series, candles, receipt, cancellationToken);

        public Task<Candle?> GetAsync(SeriesKey series, DateTimeOffset openTime, CancellationToken cancellationToken = default) =>
            inner.GetAsync(series, openTime, cancellationToken);

        public Task<IReadOnlyList<Candle>> GetRangeAsync(SeriesKey series, DateTimeOffset? from = null, DateTimeOffset? to = null,
            CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref _rangeReads);
            return inner.GetRangeAsync(series, from, to, cancellationToken);
        }

        public Task<IReadOnlyList<Candle>> GetLatestAsync(SeriesKey series, int count, CancellationToken cancellationToken = default) =>
            inner.GetLatestAsync(series, count, cancellationToken);

        public Task<long> CountAsync(SeriesKey series, CancellationToken cancellationToken = default) => inner.CountAsync(series, cancellationToken);

        public Task<IReadOnlyList<SeriesKey>> ListSeriesAsync(CancellationToken cancellationToken = default) => inner.ListSeriesAsync(cancellationToken);
    }
}
