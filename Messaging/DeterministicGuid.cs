using System.Security.Cryptography;
using System.Text;

namespace NeuralTrade.Events.Messaging;

/// <summary>
/// Name-based UUIDs (RFC 9562 §5.5, version 5): the same inputs always give the same id, so an event
/// re-published after a redelivery carries the eventId it had the first time and consumers drop it.
/// </summary>
public static class DeterministicGuid
{
    static readonly Guid FleetNamespace = new("6f1b5d9e-3a52-4c0e-9a43-2d7f1f0e8b11");

    public static Guid Create(string name) => Create(FleetNamespace, name);

    public static Guid Create(Guid @namespace, string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        Span<byte> ns = stackalloc byte[16];
        @namespace.TryWriteBytes(ns, bigEndian: true, out _);
        var nameBytes = Encoding.UTF8.GetBytes(name);
        var input = new byte[16 + nameBytes.Length];
        ns.CopyTo(input);
        nameBytes.CopyTo(input, 16);
#pragma warning disable CA5350 // SHA-1 is what RFC 9562 prescribes for v5 ids; it is not used for security here.
        var hash = SHA1.HashData(input);
#pragma warning restore CA5350
        hash[6] = (byte)((hash[6] & 0x0F) | 0x50);
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80);
        return new Guid(hash.AsSpan(0, 16), bigEndian: true);
    }
}
