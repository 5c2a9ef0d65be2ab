using System.Globalization;
using NeuralTrade.Events.Contracts;
using NeuralTrade.Events.MarketData;
using StackExchange.Redis;

namespace NeuralTrade.Events.Stores;

/// <summary>
/// Candles in Redis, per series: a hash openTime(ms) → "o|h|l|c|v" holds the values and a sorted set
/// scored by openTime orders them. One Lua script per append makes check-and-insert atomic, so any number
/// of Ingest instances store each candle once. The series index set lets tools list what is stored. With
/// <see cref="RecentCandles"/> (Inference registers it), the newest window is read as its openTimes and only the
/// candles not read before.
/// </summary>
public sealed class RedisCandleStore(IConnectionMultiplexer redis, RedisKeys keys, RecentCandles? recent = null, RedisReplication? replication = null) : ICandleStore
{
    /// <summary>How long an append's receipt is kept to recognise a redelivered message.</summary>
    public static readonly TimeSpan ReceiptLifetime = TimeSpan.FromDays(7);

    // KEYS: values hash, times zset, receipt, series index.
    // ARGV: receipt ttl (s, 0 = no receipt), series name, then (time, values) pairs.
    // Returns one letter per candle (A added, D duplicate, C conflict), '|', and the newest time stored before the
    // append ('' for an empty series), so Ingest sees which candles extend the series without another read.
    const string AppendScript = """
        if ARGV[1] ~= '0' then
          local recorded = redis.call('GET', KEYS[3])
          if recorded then return recorded end
        end
        local newest = redis.call('ZRANGE', KEYS[2], -1, -1)
        local previous = newest[1] or ''
        local out = {}
        for i = 3, #ARGV, 2 do
          local t, v = ARGV[i], ARGV[i + 1]
          local existing = redis.call('HGET', KEYS[1], t)
          if not existing then
            redis.call('HSET', KEYS[1], t, v)
            redis.call('ZADD', KEYS[2], t, t)
            out[#out + 1] = 'A'
          elseif existing == v then
            out[#out + 1] = 'D'
          else
            out[#out + 1] = 'C'
          end
        end
        local result = table.concat(out) .. '|' .. previous
        redis.call('SADD', KEYS[4], ARGV[2])
        if ARGV[1] ~= '0' then redis.call('SET', KEYS[3], result, 'EX', ARGV[1]) end
        return result
        """;

    IDatabase Db => redis.GetDatabase();

    RedisKey Values(SeriesKey s) => keys.For("candles", $"{{{s}}}", "values");
    RedisKey Times(SeriesKey s) => keys.For("candles", $"{{{s}}}", "times");
    RedisKey Index => keys.For("candles", "series");

    public async Task<AppendResult> AppendAsync(SeriesKey series, IReadOnlyList<Candle> candles, string? receipt,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(candles);
        if (candles.Count == 0)
            return new AppendResult([], null);

        var args = new RedisValue[2 + candles.Count * 2];
        args[0] = receipt is null ? 0 : (long)ReceiptLifetime.TotalSeconds;
        args[1] = series.ToString();
        for (var i = 0; i < candles.Count; i++)
        {
            args[2 + i * 2] = CandleValues.Key(candles[i].OpenTime);
            args[3 + i * 2] = CandleValues.Encode(candles[i]);
        }

        var receiptKey = keys.For("ingest-receipt", $"{{{series}}}", receipt ?? "none");
        var epoch = replication?.Epoch ?? 0;
        var result = (string?)await Db.ScriptEvaluateAsync(AppendScript, [Values(series), Times(series), receiptKey, Index], args)
            .WaitAsync(cancellationToken);
        // Stored candles are held by the replicas asked for before Ingest acknowledges their message.
        if (replication is not null)
            await replication.AwaitReplicasAsync(epoch, cancellationToken);
        // A receipt recorded before the answer carried the previous newest time has no '|': it replays without one.
        var bar = result?.IndexOf('|') ?? -1;
        var letters = bar < 0 ? result : result![..bar];
        if (letters is null || letters.Length != candles.Count)
            throw new InvalidOperationException(
                $"Append to {series} returned '{result}' for {candles.Count} candles; receipt {receipt} may belong to another batch.");

        var statuses = letters.Select(c => c switch
        {
            'A' => AppendStatus.Added,
            'D' => AppendStatus.Duplicate,
            _ => AppendStatus.Conflict,
        }).ToArray();
        DateTimeOffset? previous = bar < 0 || bar == result!.Length - 1
            ? null
            : DateTimeOffset.FromUnixTimeMilliseconds(long.Parse(result.AsSpan(bar + 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture));
        return new AppendResult(statuses, previous);
    }

    public async Task<Candle?> GetAsync(SeriesKey series, DateTimeOffset openTime, CancellationToken cancellationToken = default)
    {
        var key = CandleValues.Key(openTime);
        var value = await Db.HashGetAsync(Values(series), key).WaitAsync(cancellationToken);
        return value.IsNull ? null : CandleValues.Decode(series, key, value!);
    }

    public async Task<IReadOnlyList<Candle>> GetRangeAsync(SeriesKey series, DateTimeOffset? from = null, DateTimeOffset? to = null,
        CancellationToken cancellationToken = default)
    {
        var times = await Db.SortedSetRangeByScoreAsync(Times(series),
            from is null ? double.NegativeInfinity : CandleValues.Key(from.Value),
            to is null ? double.PositiveInfinity : CandleValues.Key(to.Value)).WaitAsync(cancellationToken);
        return await LoadAsync(series, times, cancellationToken);
    }

    public async Task<IReadOnlyList<Candle>> GetLatestAsync(SeriesKey series, int count, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (count == 0)
            return [];
        var times = await Db.SortedSetRangeByRankAsync(Times(series), -count, -1).WaitAsync(cancellationToken);
        return await LoadWindowAsync(series, times, keep: true, cancellationToken);
    }

    public async Task<IReadOnlyList<Candle>> GetLatestAsync(SeriesKey series, int count, DateTimeOffset upTo, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (count == 0)
            return [];
        // ZRANGE … BYSCORE REV LIMIT: the newest `count` at or before upTo, newest first.
        var times = await Db.SortedSetRangeByScoreAsync(Times(series), double.NegativeInfinity, CandleValues.Key(upTo), Exclude.None, Order.Descending,
            0, count).WaitAsync(cancellationToken);
        Array.Reverse(times);
        // An older window is read through the cache but does not replace the newest window it keeps.
        return await LoadWindowAsync(series, times, keep: false, cancellationToken);
    }

    /// <summary>The candles at <paramref name="times"/> (ascending), from <see cref="RecentCandles"/> where it has them.</summary>
    async Task<IReadOnlyList<Candle>> LoadWindowAsync(SeriesKey series, RedisValue[] times, bool keep, CancellationToken cancellationToken)
    {
        if (recent is null)
            return await LoadAsync(series, times, cancellationToken);

        var openTimes = new long[times.Length];
        for (var i = 0; i < times.Length; i++)
            openTimes[i] = (long)times[i];
        var found = recent.Find(series, openTimes);
        var missing = times.Where((_, i) => found[i] is null).ToArray();
        if (missing.Length > 0)
        {
            var loaded = await LoadAsync(series, missing, cancellationToken);
            for (int i = 0, j = 0; i < found.Length; i++)
            {
                if (found[i] is null)
                    found[i] = loaded[j++];
            }
        }

        var window = found.Select(c => c!).ToList();
        if (keep)
            recent.Keep(series, window);
        return window;
    }

    public Task<long> CountAsync(SeriesKey series, DateTimeOffset? from = null, DateTimeOffset? to = null, CancellationToken cancellationToken = default) =>
        Db.SortedSetLengthAsync(Times(series), // ZCARD for the whole series, ZCOUNT for a range
            from is null ? double.NegativeInfinity : CandleValues.Key(from.Value),
            to is null ? double.PositiveInfinity : CandleValues.Key(to.Value)).WaitAsync(cancellationToken);

    public async Task<IReadOnlyList<SeriesKey>> ListSeriesAsync(CancellationToken cancellationToken = default)
    {
        var members = await Db.SetMembersAsync(Index).WaitAsync(cancellationToken);
        return members.Select(m => SeriesKey.Parse(m!)).OrderBy(k => k.ToString(), StringComparer.Ordinal).ToList();
    }

    async Task<IReadOnlyList<Candle>> LoadAsync(SeriesKey series, RedisValue[] times, CancellationToken cancellationToken)
    {
        if (times.Length == 0)
            return [];
        var result = new List<Candle>(times.Length);
        // HMGET in slices keeps single replies bounded for long histories.
        foreach (var chunk in times.Chunk(5_000))
        {
            var values = await Db.HashGetAsync(Values(series), chunk).WaitAsync(cancellationToken);
            for (var i = 0; i < chunk.Length; i++)
            {
                if (values[i].IsNull)
                    throw new InvalidOperationException($"Candle {chunk[i]} of {series} is ordered but has no values; the store is inconsistent.");
                result.Add(CandleValues.Decode(series, (long)chunk[i], values[i]!));
            }
        }

        return result;
    }
}
