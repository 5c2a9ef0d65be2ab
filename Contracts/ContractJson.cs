using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace NeuralTrade.Events.Contracts;

/// <summary>
/// The JSON conventions of the wire contract: camelCase names, RFC 3339 UTC timestamps with a
/// <c>Z</c>, null members left out, unknown members ignored. The bus applies the same settings.
/// </summary>
public static class ContractJson
{
    /// <summary>Options for reading and writing contract bodies outside the bus.</summary>
    public static JsonSerializerOptions Options { get; } = Configure(new JsonSerializerOptions());

    /// <summary>Applies the contract's conventions to <paramref name="options"/> and returns it.</summary>
    public static JsonSerializerOptions Configure(JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.PropertyNamingPolicy = JsonNamingPolicy.CamelCase;
        options.DictionaryKeyPolicy = null;
        options.PropertyNameCaseInsensitive = true;
        options.DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull;
        options.NumberHandling = JsonNumberHandling.Strict;
        options.WriteIndented = false;
        if (!options.Converters.Any(c => c is UtcTimestampConverter))
            options.Converters.Insert(0, new UtcTimestampConverter());
        if (!options.Converters.Any(c => c is CandleJsonConverter))
            options.Converters.Insert(0, new CandleJsonConverter());
        return options;
    }

    /// <summary>Writes timestamps as RFC 3339 in UTC (<c>2024-01-15T10:30:00Z</c>); reads any offset.</summary>
    public sealed class UtcTimestampConverter : JsonConverter<DateTimeOffset>
    {
        /// <inheritdoc />
        public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => ReadTimestamp(ref reader);

        /// <inheritdoc />
        public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options) => WriteTimestamp(writer, value);

        /// <summary>An RFC 3339 timestamp string with any offset, as UTC.</summary>
        public static DateTimeOffset ReadTimestamp(ref Utf8JsonReader reader)
        {
            if (reader.TokenType == JsonTokenType.String && reader.TryGetDateTimeOffset(out var value))
                return value.ToUniversalTime();
            throw new JsonException($"Expected an RFC 3339 timestamp string, got {reader.TokenType}.");
        }

        /// <summary>
        /// <c>yyyy-MM-ddTHH:mm:ssZ</c>, with the fraction of a second (trailing zeros left out) when there is one. Formatted
        /// into a stack buffer with .NET's fast "s" and "O" layouts: timestamps are on every candle of every message.
        /// </summary>
        public static void WriteTimestamp(Utf8JsonWriter writer, DateTimeOffset value)
        {
            ArgumentNullException.ThrowIfNull(writer);
            var utc = value.UtcDateTime;
            Span<byte> text = stackalloc byte[33];
            int length;
            if (utc.Ticks % TimeSpan.TicksPerSecond == 0)
            {
                utc.TryFormat(text, out length, "s", CultureInfo.InvariantCulture); // yyyy-MM-ddTHH:mm:ss
                text[length++] = (byte)'Z';
            }
            else
            {
                utc.TryFormat(text, out length, "O", CultureInfo.InvariantCulture); // yyyy-MM-ddTHH:mm:ss.fffffffZ
                length--;
                while (text[length - 1] == (byte)'0')
                    length--;
                text[length++] = (byte)'Z';
            }

            writer.WriteStringValue(text[..length]);
        }
    }
}
