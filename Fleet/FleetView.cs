using System.Globalization;
using NeuralTrade.Events.Contracts;
using NeuralTrade.Events.MarketData;
using NeuralTrade.Events.Workers.Monitor;
using NeuralTrade.Events.Workers.Registry;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace NeuralTrade.Events.Fleet;

/// <summary>What the demo shows: the status line, the live view, the models table and the summary.</summary>
internal static class FleetView
{
    internal static string Status(FleetObserver observer, MarketReplay replay, SeriesKey series, int? shiftAt, TimeSpan elapsed)
    {
        var champion = observer.Deployed.LastOrDefault();
        return $"[bold]{Markup.Escape(series.ToString())}[/]  candle [bold]{replay.Position:N0}[/]/{replay.Count:N0}" +
            (shiftAt is { } s ? replay.Position >= s ? $" ([red]{replay.Position - s:N0} after the break[/])" : $" (break at {s:N0})" : "") +
            $"  stored {observer.Accepted:N0}  rejected {observer.Rejected:N0}  streamed predictions {observer.Streamed:N0}" +
            $"  champion [green]{(champion is null ? "none" : $"v{champion.Version}")}[/]  {elapsed:mm\\:ss}";
    }

    internal static IRenderable View(FleetObserver observer, MarketReplay replay, SeriesKey series, int? shiftAt, TimeSpan elapsed)
    {
        var header = new Markup(Status(observer, replay, series, shiftAt, elapsed));

        var predictions = new Table().Border(TableBorder.Simple).Title("recent predictions (prediction.completed)")
            .AddColumns("as of", "signal", "confidence", "sell / hold / buy", "risk", "model", "latency");
        foreach (var p in observer.RecentPredictions)
        {
            predictions.AddRow(p.AsOf.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture), SignalMarkup(p.Signal), p.Confidence.ToString("P0", CultureInfo.InvariantCulture),
                $"{p.Probabilities.Sell:0.00} / {p.Probabilities.Hold:0.00} / {p.Probabilities.Buy:0.00}",
                $"{RiskMarkup(p.Risk.Level)} {p.Risk.Score:0.0}", $"v{p.Model.Version}", $"{p.LatencyMs:0.0} ms");
        }

        var models = ModelsTable(observer);
        var drift = new Table().Border(TableBorder.Simple).Title("drift (drift.detected)")
            .AddColumns("candle time", "type", "metric", "value", "threshold", "severity", "action");
        foreach (var d in observer.Drift.TakeLast(6).Reverse())
        {
            drift.AddRow(d.Window.To.ToString("MM-dd HH:mm", CultureInfo.InvariantCulture), d.DriftType.ToString().ToLowerInvariant(),
                Markup.Escape(d.Feature is null ? d.Metric : $"{d.Metric}({d.Feature})"), FleetObserver.Number(d.Value), FleetObserver.Number(d.Threshold), SeverityMarkup(d.Severity), Markup.Escape(d.Action ?? ""));
        }

        var log = new Panel(new Rows(observer.EventLog.Select(l => new Markup(l)))).Header("events").Border(BoxBorder.Rounded).Expand();
        return new Rows(header, predictions, new Columns(models, drift), log);
    }

    internal static Table ModelsTable(FleetObserver observer)
    {
        var models = new Table().Border(TableBorder.Simple).Title("models (model.deployed / model.rejected)")
            .AddColumns("version", "decision", "gate macro-F1", "lower bound", "run");
        // The figures the gate decided on (on its held-out window), the same ones the run and the model version carry in MLflow.
        foreach (var d in observer.Deployed)
        {
            models.AddRow($"v{d.Version}", $"[green]deployed[/] ({Markup.Escape(d.Reason ?? "gate")})",
                Metric(d.Metrics, d.Metrics.ContainsKey("gate_macro_f1") ? "gate_macro_f1" : "macro_f1"), LowerBound(d.Metrics, "gate_"), Markup.Escape(Short(d.RunId)));
        }

        foreach (var r in observer.ModelsRejected)
            models.AddRow("—", "[yellow]rejected[/]", Metric(r.CandidateMetrics, "macro_f1"), LowerBound(r.CandidateMetrics, ""), Markup.Escape(Short(r.RunId)));
        return models;
    }

    /// <summary>The gate's weakest lower bound: against the champion where there was one, else against the baselines.</summary>
    static string LowerBound(IReadOnlyDictionary<string, double> metrics, string prefix) =>
        metrics.TryGetValue(prefix + ChampionGate.ChampionLowerMetric, out var champion) ? $"{champion:+0.000;-0.000} vs champion"
        : metrics.TryGetValue(prefix + ChampionGate.BaselineLowerMetric, out var baseline) ? $"{baseline:+0.000;-0.000} vs baselines"
        : "—";

    internal static IRenderable Summary(FleetReport report, FleetObserver observer)
    {
        var table = new Table().Border(TableBorder.Rounded).Title("[bold]summary[/]").AddColumn("what").AddColumn(new TableColumn("count").RightAligned());
        table.AddRow("candles replayed", report.Candles.ToString("N0", CultureInfo.InvariantCulture));
        table.AddRow("[green]accepted and stored[/]", report.Accepted.ToString("N0", CultureInfo.InvariantCulture));
        table.AddRow("[red]rejected[/] (data.rejected, with reasons)", report.Rejected.ToString("N0", CultureInfo.InvariantCulture));
        foreach (var (code, n) in observer.RejectionCodes.OrderByDescending(kv => kv.Value))
            table.AddRow($"   reason [yellow]{Markup.Escape(code)}[/]", n.ToString("N0", CultureInfo.InvariantCulture));
        table.AddRow("training requests (manual / drift)",
            $"{report.TrainingRequests.Count(r => r.Reason != DriftMonitor.RetrainReason)} / {report.TrainingRequests.Count(r => r.Reason == DriftMonitor.RetrainReason)}");
        table.AddRow("models deployed / rejected by the gate", $"{report.Deployed.Count} / {report.ModelsRejected.Count}");
        table.AddRow("champion at the end", report.Deployed.LastOrDefault() is { } last ? $"v{last.Version}" : "none");
        table.AddRow("streamed predictions", report.Streamed.ToString("N0", CultureInfo.InvariantCulture));
        foreach (var group in observer.SignalsByVersion.GroupBy(kv => kv.Key.Version).OrderBy(g => g.Key))
        {
            var total = group.Sum(kv => kv.Value);
            table.AddRow($"   by v{group.Key}: sell / hold / buy",
                string.Join(" / ", Enum.GetValues<Signal>().Select(s => (group.FirstOrDefault(kv => kv.Key.Signal == s).Value / (double)total).ToString("P0", CultureInfo.InvariantCulture))));
        }

        table.AddRow("requested predictions answered", report.RequestedAnswers.ToString("N0", CultureInfo.InvariantCulture));
        foreach (var group in report.Drift.GroupBy(d => (d.DriftType, d.Severity)).OrderBy(g => g.Key.DriftType).ThenBy(g => g.Key.Severity))
            table.AddRow($"drift.detected {group.Key.DriftType.ToString().ToLowerInvariant()}, {group.Key.Severity.ToString().ToLowerInvariant()}", group.Count().ToString(CultureInfo.InvariantCulture));
        if (report is { ShiftAt: { } shift, FirstRetrainCandle: { } retrainAt })
            table.AddRow("first drift retrain after the break", $"{retrainAt - shift:N0} candles");
        table.AddRow("messages faulted (dead-lettered)", report.Faults.ToString("N0", CultureInfo.InvariantCulture));
        table.AddRow("elapsed", report.Elapsed.ToString(@"m\:ss", CultureInfo.InvariantCulture));
        return new Rows(ModelsTable(observer), table);
    }

    internal static string Metric(IReadOnlyDictionary<string, double> metrics, string name) =>
        metrics.TryGetValue(name, out var v) ? v.ToString("0.000", CultureInfo.InvariantCulture) : "n/a";

    internal static string Short(string runId) => runId.Length > 12 ? runId[..12] : runId;

    internal static string SignalMarkup(Signal signal) => signal switch
    {
        Signal.Buy => "[green]buy[/]",
        Signal.Sell => "[red]sell[/]",
        _ => "[grey]hold[/]",
    };

    internal static string RiskMarkup(RiskLevel level) => level switch
    {
        RiskLevel.Low => "[green]low[/]",
        RiskLevel.Medium => "[yellow]medium[/]",
        RiskLevel.High => "[red]high[/]",
        _ => "[bold red]critical[/]",
    };

    internal static string SeverityMarkup(DriftSeverity severity) => severity switch
    {
        DriftSeverity.High => "[red]high[/]",
        DriftSeverity.Medium => "[yellow]medium[/]",
        _ => "[grey]low[/]",
    };
}
