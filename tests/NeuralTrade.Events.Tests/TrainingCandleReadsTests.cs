using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using NeuralTrade.Events.Contracts;
using NeuralTrade.Events.MarketData;
using NeuralTrade.Events.Stores;
using NeuralTrade.Events.Testing;
using NeuralTrade.Events.Workers.Training;

namespace NeuralTrade.Events.Tests;

/// <summary>How often a training request reads its candles from the store: once, to train; the consumer only counts them.</summary>
[NonParallelizable]
public sealed class TrainingCandleReadsTests : WorkerHarnessFixture
{
    static readonly SeriesKey Series = new("sim", "PLANT/USD", "1m");
    static readonly IReadOnlyList<Candle> Market = PlantedMarket.Generate(1_200, seed: 4);

    protected override string ServiceName => "training-reads-tests";

    protected override void AddWorker(IHostApplicationBuilder builder) => builder.AddTrainingWorker();

    [Test]
    public Task A_request_for_the_whole_history_reads_the_candles_once_to_train() => TrainAndCountAsync(null, null, Market.Count);

    [Test]
    public Task A_request_for_a_range_reads_the_candles_once_to_train() => TrainAndCountAsync(Market[100].OpenTime, Market[1_099].OpenTime, 1_000);

    async Task TrainAndCountAsync(DateTimeOffset? from, DateTimeOffset? to, int expectedSamples)
    {
        var store = new CountingCandleStore(new InMemoryCandleStore());
        await store.AppendAsync(Series, Market, null);
        Build(new Dictionary<string, string?> { ["Training:PollIntervalMs"] = "50" }, s => s.AddSingleton<ICandleStore>(store),
            timeout: TimeSpan.FromSeconds(60), inactivity: TimeSpan.FromSeconds(60));
        await Host.StartAsync();
        store.Reset();
        var request = new TrainingRequested
        {
            RequestId = Guid.NewGuid(), Exchange = "sim", Symbol = "PLANT/USD", Interval = "1m", Reason = "test", From = from, To = to,
            Hyperparameters = new Dictionary<string, JsonElement>
            {
                ["windowSize"] = J("16"), ["hiddenSize"] = J("8"), ["numLayers"] = J("1"), ["epochs"] = J("1"), ["minSamples"] = J("100"),
                ["fixedThreshold"] = J("0.006"), ["volatilityScale"] = J("0"), ["batchSize"] = J("64"),
            },
        };
        await Harness.Bus.Publish(request);

        var completed = await Harness.PublishedSingle<TrainingCompleted>(e => e.RequestId == request.RequestId);

        Assert.That(store.Reads, Is.EqualTo(1), "the consumer counts the candles without reading them; the run reads them once");
        Assert.That(store.CandlesRead, Is.EqualTo(expectedSamples));
        Assert.That(completed.Dataset.From, Is.EqualTo(from ?? Market[0].OpenTime));
    }

    static JsonElement J(string raw) => JsonDocument.Parse(raw).RootElement;
}
