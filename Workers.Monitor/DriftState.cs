using System.Globalization;

namespace NeuralTrade.Events.Workers.Monitor;

/// <summary>Where one statistic stands: its level, the highest level announced in the current episode, and when the last event went out.</summary>
public sealed record DriftState(int Level, int Announced, DateTimeOffset? LastEventAt)
{
    public static readonly DriftState None = new(0, 0, null);

    public string Serialize() =>
        string.Create(CultureInfo.InvariantCulture, $"{Level}|{Announced}|{LastEventAt?.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture) ?? ""}");

    public static DriftState Parse(string? text)
    {
        if (string.IsNullOrEmpty(text))
            return None;
        var parts = text.Split('|');
        return new DriftState(int.Parse(parts[0], CultureInfo.InvariantCulture), int.Parse(parts[1], CultureInfo.InvariantCulture),
            parts[2].Length == 0 ? null : DateTimeOffset.FromUnixTimeSeconds(long.Parse(parts[2], CultureInfo.InvariantCulture)));
    }
}
