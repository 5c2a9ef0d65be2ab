using StackExchange.Redis;

namespace NeuralTrade.Events.Stores;

/// <summary>The key scheme of everything the fleet keeps in Redis: <c>{prefix}:{area}:…</c>.</summary>
public sealed class RedisKeys(string prefix)
{
    public string Prefix { get; } = prefix;

    public RedisKey For(string area, string id) => $"{Prefix}:{area}:{id}";

    public RedisKey For(string area, string id, string suffix) => $"{Prefix}:{area}:{id}:{suffix}";
}
