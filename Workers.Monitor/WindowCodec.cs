using System.Runtime.InteropServices;
using NeuralTrade.Events.Contracts;
using NeuralTrade.Events.Stores;

namespace NeuralTrade.Events.Workers.Monitor;

/// <summary>
/// How a <see cref="WindowEntry"/> is encoded. Its time is the candle's open time in Unix seconds; its value, in each
/// window: a feature row is its floats as stored in memory, a prediction is its signal (1 byte) and confidence (8-byte
/// double), an outcome the predicted and the realised signal (1 byte each).
/// </summary>
internal static class WindowCodec
{
    public static DateTimeOffset DecodeTime(long time) => DateTimeOffset.FromUnixTimeSeconds(time);

    /// <summary>From the oldest to the newest entry's time; <paramref name="entries"/> holds at least one, oldest first.</summary>
    public static TimeWindow DecodeSpan(IReadOnlyList<WindowEntry> entries) => new(DecodeTime(entries[0].Time), DecodeTime(entries[^1].Time));

    public static byte[] EncodeFeatures(ReadOnlySpan<float> row) => MemoryMarshal.AsBytes(row).ToArray();

    public static float[] DecodeFeatures(byte[] bytes) => MemoryMarshal.Cast<byte, float>(bytes).ToArray();

    public static byte[] EncodePrediction(Signal signal, double confidence)
    {
        var bytes = new byte[9];
        bytes[0] = (byte)signal;
        BitConverter.TryWriteBytes(bytes.AsSpan(1), confidence);
        return bytes;
    }

    public static (Signal Signal, double Confidence) DecodePrediction(byte[] bytes) => ((Signal)bytes[0], BitConverter.ToDouble(bytes, 1));

    public static byte[] EncodeOutcome(Signal predicted, int actual) => [(byte)predicted, (byte)actual];

    public static (int Predicted, int Actual) DecodeOutcome(byte[] bytes) => (bytes[0], bytes[1]);
}
