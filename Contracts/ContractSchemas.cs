using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Schema;

namespace NeuralTrade.Events.Contracts;

/// <summary>
/// JSON Schema (draft 2020-12) of every public message, generated from the contract records with the wire's own
/// serializer settings (<see cref="ContractJson.Options"/>) by System.Text.Json's schema exporter, so the schema cannot
/// drift from what the fleet writes and reads. Members the wire always carries are required; nullable members may be
/// absent or null. The two types with hand-written converters (timestamps and candles) get the schema of what those
/// converters accept. The committed copies live in <c>docs/schemas/</c>; a test keeps them equal to this output and
/// validates every golden body against them.
/// </summary>
public static class ContractSchemas
{
    /// <summary>Where the schemas are published: <c>$id</c> is this plus <c>&lt;exchange&gt;.schema.json</c>.</summary>
    public const string IdBase = "https://neuraltrade.events/schemas/";

    static readonly JsonSchemaExporterOptions Exporter = new()
    {
        TreatNullObliviousAsNonNullable = true,
        TransformSchemaNode = Transform,
    };

    /// <summary>The schema of one contract record (a type of <see cref="Exchanges.ContractTypes"/>).</summary>
    public static JsonObject For(Type messageType)
    {
        ArgumentNullException.ThrowIfNull(messageType);
        var name = Exchanges.NameOf(messageType) ?? throw new ArgumentException($"{messageType.Name} is not a contract message", nameof(messageType));
        var generated = ContractJson.Options.GetJsonSchemaAsNode(messageType, Exporter).AsObject();
        var schema = new JsonObject
        {
            ["$schema"] = "https://json-schema.org/draft/2020-12/schema",
            ["$id"] = $"{IdBase}{name}.schema.json",
            ["title"] = name,
        };
        foreach (var (key, value) in generated.ToList())
        {
            generated.Remove(key);
            schema[key] = value;
        }

        return schema;
    }

    /// <summary>Every public message's schema by exchange name.</summary>
    public static IReadOnlyDictionary<string, JsonObject> All() =>
        Exchanges.ContractTypes.ToDictionary(t => Exchanges.NameOf(t)!, For, StringComparer.Ordinal);

    static JsonNode Transform(JsonSchemaExporterContext context, JsonNode schema)
    {
        var type = context.TypeInfo.Type;
        if (type == typeof(DateTimeOffset))
            return Timestamp();
        if (type == typeof(DateTimeOffset?))
            return new JsonObject { ["type"] = new JsonArray("string", "null"), ["format"] = "date-time" };
        if (type == typeof(Candle))
            return CandleSchema();
        // The exporter leaves the items of a converter-written element open: a list of candles gets the candle's schema.
        if (context.TypeInfo.ElementType == typeof(Candle) && schema is JsonObject list)
            list["items"] = CandleSchema();
        return schema;
    }

    static JsonObject Timestamp() => new() { ["type"] = "string", ["format"] = "date-time" };

    /// <summary>What <see cref="CandleJsonConverter"/> reads: the nine members, prices and volume as JSON numbers.</summary>
    static JsonObject CandleSchema()
    {
        static JsonObject Number() => new() { ["type"] = "number" };
        return new JsonObject
        {
            ["type"] = "object",
            ["properties"] = new JsonObject
            {
                ["exchange"] = new JsonObject { ["type"] = "string", ["minLength"] = 1 },
                ["symbol"] = new JsonObject { ["type"] = "string", ["minLength"] = 1 },
                ["interval"] = new JsonObject { ["type"] = "string", ["enum"] = new JsonArray([.. IntervalNames.Select(n => (JsonNode)n)]) },
                ["openTime"] = Timestamp(),
                ["open"] = Number(),
                ["high"] = Number(),
                ["low"] = Number(),
                ["close"] = Number(),
                ["volume"] = Number(),
            },
            ["required"] = new JsonArray("exchange", "symbol", "interval", "openTime", "open", "high", "low", "close", "volume"),
        };
    }

    /// <summary>The intervals of the contract (<see cref="Candle.Interval"/>).</summary>
    public static readonly IReadOnlyList<string> IntervalNames = ["1m", "3m", "5m", "15m", "30m", "1h", "2h", "4h", "6h", "12h", "1d"];

    /// <summary>A schema as the committed file holds it: indented, with a final newline.</summary>
    public static string ToFileText(JsonObject schema)
    {
        ArgumentNullException.ThrowIfNull(schema);
        return schema.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }) + "\n";
    }
}
