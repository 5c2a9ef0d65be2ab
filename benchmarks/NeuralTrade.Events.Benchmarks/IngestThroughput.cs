using System.Diagnostics;
using System.Diagnostics.Metrics;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using NeuralTrade.Events.Contracts;
using NeuralTrade.Events.Hosting;
using NeuralTrade.Events.MarketData;
using NeuralTrade.Events.Messaging;
using NeuralTrade.Events.Workers.Ingest;
using RabbitMQ.Client;

namespace NeuralTrade.Events.Benchmarks;

/// <summary>
/// Ingest throughput through RabbitMQ in candles/s with N-candle messages, against the bound of the same run:
/// bare MassTransit publish → consume of the same messages with a consumer that does nothing.
/// </summary>
internal sealed class IngestThroughput(string rabbitUrl, string managementUrl, string redisUrl, int messages, int batch, int publishers)
{
    public sealed record Result(string Scenario, int Messages, int Candles, double Seconds)
    {
        public double CandlesPerSecond => Candles / Seconds;
    }

    public async Task<(Result Bare, Result Ingest)> RunAsync()
    {
        await using var broker = await BenchBroker.CreateAsync(rabbitUrl, managementUrl, redisUrl);
        // A worker runs for days: the warm-up is long enough for tiered compilation to reach its optimized code (with 150
        // messages, 14% of a 20-second process's CPU samples were still in the JIT), the same for both paths.
        var warmup = Bodies(Math.Max(1_000, messages / 3), seriesOffset: 10_000);
        var timed = Bodies(messages, seriesOffset: 0);

        var bare = await MeasureAsync("bare MassTransit publish→consume", broker.Url, broker.KeyPrefix, warmup, timed, bare: true);
        var ingest = await MeasureAsync("ingest (validate, store in Redis, announce)", broker.Url, broker.KeyPrefix, warmup, timed, bare: false);
        return (bare, ingest);
    }

    List<MarketCandles> Bodies(int count, int seriesOffset)
    {
        // 100 messages per series, each message a new stretch of that series: every candle is new.
        const int messagesPerSeries = 100;
        var result = new List<MarketCandles>(count);
        for (var s = 0; s * messagesPerSeries < count; s++)
        {
            var candles = new MarketSimulator(new SimulatedMarket { Exchange = "bench", Symbol = $"S{seriesOffset + s}/USDT", Seed = s })
                .Generate(messagesPerSeries * batch).ToList();
            for (var m = 0; m < messagesPerSeries && result.Count < count; m++)
                result.Add(new MarketCandles { Candles = candles.GetRange(m * batch, batch), Source = "benchmark" });
        }

        return result;
    }

    async Task<Result> MeasureAsync(string scenario, string url, string prefix, List<MarketCandles> warmup, List<MarketCandles> timed, bool bare)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.AddServiceDefaults("benchmark");
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Messaging:RabbitMqUrl"] = url,
            ["Redis:Url"] = redisUrl,
            ["Redis:KeyPrefix"] = prefix,
        });
        if (bare)
        {
            builder.Services.AddOptions<IngestOptions>().BindConfiguration(IngestOptions.SectionName);
            builder.Services.AddBusContributor("bare", x => x.AddConsumer<BareConsumer, BareConsumerDefinition>());
        }
        else
            builder.AddIngestWorker();
        builder.AddNeuralTradeBus();

        using var host = builder.Build();
        await host.StartAsync();
        await using var sink = bare ? null : await AnnouncementSink.CreateAsync(url, Exchanges.DataIngested, Exchanges.DataRejected);
        try
        {
            var bus = host.Services.GetRequiredService<IBus>();
            using var done = new DoneCounter(bare ? BareConsumer.MeterName : IngestTelemetry.Name,
                bare ? BareConsumer.CounterName : "neuraltrade.ingest.messages");

            await PublishAllAsync(bus, warmup, bare);
            await done.WaitForAsync(warmup.Count);
            await Task.Delay(TimeSpan.FromSeconds(1)); // the background JIT finishes what the warm-up made hot

            var stopwatch = Stopwatch.StartNew();
            await PublishAllAsync(bus, timed, bare);
            await done.WaitForAsync(warmup.Count + timed.Count);
            stopwatch.Stop();
            return new Result(scenario, timed.Count, timed.Count * batch, stopwatch.Elapsed.TotalSeconds);
        }
        finally
        {
            await host.StopAsync();
        }
    }

    async Task PublishAllAsync(IBus bus, List<MarketCandles> bodies, bool bare)
    {
        // A feed with this many publishes in flight, each awaiting its publisher confirm.
        await Parallel.ForEachAsync(bodies, new ParallelOptions { MaxDegreeOfParallelism = publishers }, async (body, ct) =>
        {
            if (bare)
                await bus.Publish(new BareBatch(body.Candles), ct);
            else
                await bus.Publish(body, ct);
        });
    }

    /// <summary>Counts finished messages through the workers' own metrics: no extra consumer skews the figure.</summary>
    sealed class DoneCounter : IDisposable
    {
        readonly MeterListener _listener = new();
        long _count;

        public DoneCounter(string meter, string instrument)
        {
            _listener.InstrumentPublished = (i, l) =>
            {
                if (i.Meter.Name == meter && i.Name == instrument)
                    l.EnableMeasurementEvents(i);
            };
            _listener.SetMeasurementEventCallback<long>((_, v, tags, _) =>
            {
                foreach (var t in tags)
                {
                    if (t.Key == "outcome" && (string?)t.Value != "processed")
                        return;
                }

                Interlocked.Add(ref _count, v);
            });
            _listener.Start();
        }

        public async Task WaitForAsync(long count)
        {
            var deadline = Stopwatch.StartNew();
            while (Interlocked.Read(ref _count) < count)
            {
                if (deadline.Elapsed > TimeSpan.FromMinutes(5))
                    throw new TimeoutException($"only {Interlocked.Read(ref _count)} of {count} messages were consumed in 5 minutes");
                await Task.Delay(5);
            }
        }

        public void Dispose() => _listener.Dispose();
    }
}

/// <summary>The same candles as a <c>market.candles</c> message, on a queue of its own.</summary>
public sealed record BareBatch(IReadOnlyList<Candle> Candles);

public sealed class BareConsumer : IConsumer<BareBatch>
{
    public const string MeterName = "NeuralTrade.Benchmarks";
    public const string CounterName = "bench.bare.messages";
    static readonly Meter Meter = new(MeterName);
    static readonly Counter<long> Consumed = Meter.CreateCounter<long>(CounterName);

    public Task Consume(ConsumeContext<BareBatch> context)
    {
        // Touch the payload, as any real consumer would.
        if (context.Message.Candles.Count == 0)
            throw new InvalidOperationException("empty batch");
        Consumed.Add(1);
        return Task.CompletedTask;
    }
}

/// <summary>Same endpoint settings as Ingest's, so that only the work differs.</summary>
public sealed class BareConsumerDefinition : ConsumerDefinition<BareConsumer>
{
    public BareConsumerDefinition(Microsoft.Extensions.Options.IOptions<IngestOptions> ingest)
    {
        ArgumentNullException.ThrowIfNull(ingest);
        EndpointName = "bench-bare";
        ConcurrentMessageLimit = ingest.Value.ConcurrentMessageLimit;
    }
}

/// <summary>
/// A queue bound to exchanges the fleet publishes mandatory (Ingest's <c>data.ingested</c> and <c>data.rejected</c>,
/// Training's <c>training.completed</c>) that keeps only the newest message: without a queue (Inference's, Monitor's,
/// the Registry's in a deployment) each would come back as NO_ROUTE and fault the message. Routing and enqueueing are
/// counted; consuming the announcements is not the benchmarked worker's cost.
/// </summary>
internal sealed class AnnouncementSink : IAsyncDisposable
{
    const string Queue = "bench-announcements";
    readonly IConnection _connection;

    AnnouncementSink(IConnection connection) => _connection = connection;

    public static async Task<AnnouncementSink> CreateAsync(string url, params string[] exchanges)
    {
        var connection = await new ConnectionFactory { Uri = new Uri(url), ClientProvidedName = "neuraltrade-benchmark-sink" }.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        await channel.QueueDeclareAsync(Queue, durable: false, exclusive: false, autoDelete: false,
            arguments: new Dictionary<string, object?> { ["x-max-length"] = 1, ["x-overflow"] = "drop-head" });
        foreach (var exchange in exchanges)
        {
            await channel.ExchangeDeclareAsync(exchange, ExchangeType.Fanout, durable: true);
            await channel.QueueBindAsync(Queue, exchange, "");
        }

        return new AnnouncementSink(connection);
    }

    public async ValueTask DisposeAsync()
    {
        await _connection.CloseAsync();
        _connection.Dispose();
    }
}
