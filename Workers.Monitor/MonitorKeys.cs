using NeuralTrade.Events.MarketData;
using NeuralTrade.Events.Stores;

namespace NeuralTrade.Events.Workers.Monitor;

/// <summary>
/// Names of the monitor's windows, state hashes and locks within <see cref="IMonitorStore"/> (Redis adds its prefix,
/// <see cref="RedisMonitorStore"/>): one features window per series and feature spec, a predictions and an outcomes window
/// and a state hash per series and model version, a history state hash per series and feature spec, one retrain hash and one check lock per series.
/// </summary>
internal static class MonitorKeys
{
    public static string FeaturesWindow(SeriesKey series, string specId) => $"{series}:features:{specId}";

    public static string PredictionsWindow(SeriesKey series, string model, int version) => $"{series}:predictions:{model}:v{version}";

    public static string OutcomesWindow(SeriesKey series, string model, int version) => $"{series}:outcomes:{model}:v{version}";

    public static string State(SeriesKey series, string model, int version) => $"{series}:state:{model}:v{version}";

    /// <summary>The state hash of the series' check against its own history (no champion), per feature spec.</summary>
    public static string HistoryState(SeriesKey series, string specId) => $"{series}:state:history:{specId}";

    public static string Retrain(SeriesKey series) => $"{series}:retrain";

    public static string CheckLock(SeriesKey series) => $"{series}:check";
}
