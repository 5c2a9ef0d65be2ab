using System.Text;
using System.Text.Json;

namespace NeuralTrade.Events.Client;

/// <summary>Reads one top-level member of a JSON body without building the message (most bodies a client sees are not for it).</summary>
internal static class JsonPeek
{
    /// <summary>
    /// The top-level member <paramref name="name"/> (ASCII letters; matched case-insensitively, as the contract's
    /// settings read names) as a uuid; null when absent, not a uuid string, or the body is not a JSON object.
    /// </summary>
    public static Guid? TopLevelGuid(ReadOnlySpan<byte> body, ReadOnlySpan<byte> name)
    {
        try
        {
            var reader = new Utf8JsonReader(body, new JsonReaderOptions { MaxDepth = 64 });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
                return null;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var match = NameIs(ref reader, name);
                if (!reader.Read())
                    return null;
                if (match)
                    return reader.TokenType == JsonTokenType.String && reader.TryGetGuid(out var id) ? id : null;
                reader.Skip();
            }

            return null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    static bool NameIs(ref Utf8JsonReader reader, ReadOnlySpan<byte> name)
    {
        if (reader.ValueIsEscaped || reader.HasValueSequence)
            return string.Equals(reader.GetString(), Encoding.ASCII.GetString(name), StringComparison.OrdinalIgnoreCase);
        var span = reader.ValueSpan;
        if (span.Length != name.Length)
            return false;
        for (var i = 0; i < span.Length; i++)
        {
            // ASCII letters only: setting bit 0x20 folds upper case onto lower case.
            if ((span[i] | 0x20) != (name[i] | 0x20))
                return false;
        }

        return true;
    }
}
