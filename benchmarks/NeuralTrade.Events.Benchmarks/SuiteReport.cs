using System.Text.Json;

namespace NeuralTrade.Events.Benchmarks;

/// <summary>One printed figure: its value, the bound it is divided by (measured in the same run), the ratio and the target.</summary>
public sealed record ReportRow(string Figure, string Value, string Bound, double? Ratio, string Target, bool? Met, bool Percent = false)
{
    public string RatioText => Ratio is not { } r ? "" : Percent ? r.ToString("P1") : r.ToString("F2");
}

/// <summary>What one benchmark measured: the rows of the table and its full figures for the JSON.</summary>
public sealed record SuiteReport(string Name, IReadOnlyList<ReportRow> Rows, object Figures)
{
    static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static async Task WriteAsync(FileInfo file, IReadOnlyList<SuiteReport> reports, TimeSpan elapsed, CancellationToken cancellationToken)
    {
        file.Directory?.Create();
        var body = new Dictionary<string, object?>
        {
            ["benchmarks"] = reports.Select(r => r.Name).ToArray(),
            ["machine"] = new
            {
                Environment.ProcessorCount, os = System.Runtime.InteropServices.RuntimeInformation.OSDescription,
                runtime = System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription,
            },
            ["finishedAt"] = DateTimeOffset.UtcNow,
            ["seconds"] = elapsed.TotalSeconds,
            ["rows"] = reports.SelectMany(r => r.Rows.Select(row => new
            {
                benchmark = r.Name, row.Figure, row.Value, row.Bound, row.Ratio, row.Target, row.Met,
            })).ToArray(),
        };
        foreach (var report in reports)
            body[report.Name] = report.Figures;
        await File.WriteAllTextAsync(file.FullName, JsonSerializer.Serialize(body, Indented), cancellationToken);
    }
}
