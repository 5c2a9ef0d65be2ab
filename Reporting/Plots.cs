using NeuralTrade.Events.Modeling;
using ScottPlot;
using SkiaSharp;

namespace NeuralTrade.Events.Reporting;

/// <summary>One named series of estimates across folds, each with its interval (Lower = Upper = Value where there is none).</summary>
public sealed record EstimateSeries(string Name, double[] Values, double[] Lower, double[] Upper)
{
    public static EstimateSeries Of(string name, IReadOnlyList<ConfidenceInterval> intervals)
    {
        ArgumentNullException.ThrowIfNull(intervals);
        return new EstimateSeries(name, [.. intervals.Select(i => i.Estimate)], [.. intervals.Select(i => i.Lower)], [.. intervals.Select(i => i.Upper)]);
    }
}

/// <summary>An equity curve: equity after each bar and when that bar ended.</summary>
public sealed record EquitySeries(string Name, DateTimeOffset[] Times, double[] Equity)
{
    /// <summary>A backtest's curve, without its starting point (equity 1 before the first bar).</summary>
    public static EquitySeries Of(string name, BacktestReport backtest)
    {
        ArgumentNullException.ThrowIfNull(backtest);
        return new EquitySeries(name, backtest.BarEnds, backtest.Equity[1..]);
    }
}

/// <summary>
/// PNG plots of evaluations: per-fold metrics with intervals, equity curves, learning curves, a confusion matrix and a
/// reliability diagram. Each returns the PNG's bytes at the size asked for. Text uses <see cref="PlotFonts"/>.
/// </summary>
public static class Plots
{
    static readonly Color[] Palette =
    [
        Color.FromHex("#1f77b4"), Color.FromHex("#ff7f0e"), Color.FromHex("#2ca02c"), Color.FromHex("#d62728"), Color.FromHex("#9467bd"),
        Color.FromHex("#8c564b"), Color.FromHex("#e377c2"),
    ];

    /// <summary>
    /// Two panels, macro-F1 above and Sharpe below: per fold, each series (the model first, then the baselines) as a point
    /// with its interval as an error bar, side by side.
    /// </summary>
    public static byte[] FoldMetrics(IReadOnlyList<string> folds, IReadOnlyList<EstimateSeries> macroF1, IReadOnlyList<EstimateSeries> sharpe,
        int width = 1000, int height = 800)
    {
        ArgumentNullException.ThrowIfNull(folds);
        ArgumentNullException.ThrowIfNull(macroF1);
        ArgumentNullException.ThrowIfNull(sharpe);
        var top = EstimatesPanel("Macro-F1 per fold", "macro-F1", folds, macroF1);
        var bottom = EstimatesPanel("Annualised Sharpe per fold", "Sharpe", folds, sharpe);
        return Stacked(width, height, top, bottom);
    }

    /// <summary>
    /// The per-fold figures of a walk-forward run, the model's and every baseline's, each with its block-bootstrap interval
    /// (the baselines' macro-F1 intervals are drawn here, with the fold's block length rule, 1000 resamples, seeded by fold).
    /// </summary>
    public static byte[] FoldMetrics(WalkForwardReport report, int width = 1000, int height = 800)
    {
        ArgumentNullException.ThrowIfNull(report);
        var folds = report.Folds.Select(f => $"fold {f.Layout.Fold + 1}").ToList();
        var names = report.Folds[0].Test.Baselines.Select(b => b.Name).ToList();
        var f1 = new List<EstimateSeries> { EstimateSeries.Of("model", [.. report.Folds.Select(f => f.MacroF1Interval)]) };
        var sharpe = new List<EstimateSeries> { EstimateSeries.Of("model", [.. report.Folds.Select(f => f.Test.Backtest.SharpeInterval)]) };
        foreach (var name in names)
        {
            var results = report.Folds.Select(f => (Fold: f, Baseline: f.Test.Baselines.First(b => b.Name == name))).ToList();
            f1.Add(EstimateSeries.Of(name, [.. results.Select(r => Bootstrap.Metric(r.Fold.Labels, r.Baseline.Signals, Evaluation.MacroF1,
                Bootstrap.DefaultBlockLength(r.Fold.Labels.Length, report.Purge), 1000, 0.95, r.Fold.Layout.Fold))]));
            sharpe.Add(EstimateSeries.Of(name, [.. results.Select(r => r.Baseline.Backtest.SharpeInterval)]));
        }

        return FoldMetrics(folds, f1, sharpe, width, height);
    }

    /// <summary>Equity curves against time, one line each.</summary>
    public static byte[] EquityCurves(IReadOnlyList<EquitySeries> curves, int width = 1000, int height = 500, string title = "Equity (net of costs)")
    {
        ArgumentNullException.ThrowIfNull(curves);
        var plot = NewPlot(title, "time", "equity");
        for (var i = 0; i < curves.Count; i++)
        {
            var c = curves[i];
            if (c.Times.Length != c.Equity.Length)
                throw new ArgumentException($"{c.Name}: {c.Times.Length} times for {c.Equity.Length} equity values", nameof(curves));
            var line = plot.Add.ScatterLine(c.Times.Select(t => t.UtcDateTime.ToOADate()).ToArray(), c.Equity, Palette[i % Palette.Length]);
            line.LegendText = c.Name;
            line.LineWidth = 1.5f;
        }

        plot.Axes.DateTimeTicksBottom();
        plot.Axes.Bottom.Label.Text = "time (UTC)";
        plot.Add.HorizontalLine(1, 1, Colors.Gray, LinePattern.Dashed);
        plot.ShowLegend(Alignment.UpperLeft);
        return Png(plot, width, height);
    }

    /// <summary>The pooled walk-forward equity of the model against buy-and-hold (and any other baselines named).</summary>
    public static byte[] EquityCurves(WalkForwardReport report, int width = 1000, int height = 500, params string[] baselines)
    {
        ArgumentNullException.ThrowIfNull(report);
        var names = baselines.Length > 0 ? baselines : [Modeling.Baselines.BuyAndHold];
        var curves = new List<EquitySeries> { EquitySeries.Of("model", report.Aggregate.Backtest) };
        curves.AddRange(report.Aggregate.Baselines.Where(b => names.Contains(b.Name)).Select(b => EquitySeries.Of(b.Name, b.Backtest)));
        return EquityCurves(curves, width, height, "Walk-forward test blocks pooled: equity net of costs");
    }

    /// <summary>Training and validation loss per epoch; the kept epoch marked where one is given.</summary>
    public static byte[] LearningCurves(IReadOnlyList<EpochProgress> history, int width = 800, int height = 500, string title = "Learning curves",
        int? bestEpoch = null)
    {
        ArgumentNullException.ThrowIfNull(history);
        return LearningCurves([(string.Empty, history)], width, height, title, bestEpoch);
    }

    /// <summary>Several runs' learning curves on one plot (say, one per walk-forward fold), each run's train loss solid, validation dashed.</summary>
    public static byte[] LearningCurves(IReadOnlyList<(string Name, IReadOnlyList<EpochProgress> History)> runs, int width = 800, int height = 500,
        string title = "Learning curves", int? bestEpoch = null)
    {
        ArgumentNullException.ThrowIfNull(runs);
        var plot = NewPlot(title, "epoch", "class-weighted cross-entropy");
        for (var i = 0; i < runs.Count; i++)
        {
            var (name, history) = runs[i];
            var epochs = history.Select(e => (double)e.Epoch).ToArray();
            var color = Palette[i % Palette.Length];
            var train = plot.Add.Scatter(epochs, history.Select(e => e.TrainLoss).ToArray(), color);
            train.LegendText = (name + " train").Trim();
            var validation = plot.Add.Scatter(epochs, history.Select(e => e.ValidationLoss).ToArray(), color);
            validation.LegendText = (name + " validation").Trim();
            validation.LinePattern = LinePattern.Dashed;
        }

        if (bestEpoch is { } best)
            plot.Add.VerticalLine(best, 1, Colors.Gray, LinePattern.Dotted).LegendText = "kept epoch";
        plot.ShowLegend(Alignment.UpperRight);
        return Png(plot, width, height);
    }

    /// <summary>Every fold's learning curves.</summary>
    public static byte[] LearningCurves(WalkForwardReport report, int width = 800, int height = 500)
    {
        ArgumentNullException.ThrowIfNull(report);
        return LearningCurves([.. report.Folds.Select(f => ($"fold {f.Layout.Fold + 1}", f.History))], width, height, "Learning curves per fold");
    }

    /// <summary>Counts as a heatmap, rows the actual class and columns the predicted one, each cell labelled with its count.</summary>
    public static byte[] ConfusionMatrix(int[][] matrix, int width = 600, int height = 550, IReadOnlyList<string>? classes = null,
        string title = "Confusion matrix")
    {
        ArgumentNullException.ThrowIfNull(matrix);
        var k = matrix.Length;
        if (k == 0 || matrix.Any(row => row.Length != k))
            throw new ArgumentException("a confusion matrix is square and not empty", nameof(matrix));
        var names = classes ?? SignalClasses.Names;
        var plot = NewPlot(title, "predicted", "actual");
        var intensities = new double[k, k];
        for (var r = 0; r < k; r++)
        {
            for (var c = 0; c < k; c++)
                intensities[r, c] = matrix[r][c];
        }

        var heatmap = plot.Add.Heatmap(intensities);
        heatmap.Colormap = new ScottPlot.Colormaps.Viridis();
        heatmap.Extent = new CoordinateRect(-0.5, k - 0.5, -0.5, k - 0.5);
        var min = matrix.Min(row => row.Min());
        var span = Math.Max(1, matrix.Max(row => row.Max()) - min);
        for (var r = 0; r < k; r++)
        {
            for (var c = 0; c < k; c++)
            {
                // Row 0 is drawn at the top: the heatmap's first row is its highest.
                var label = plot.Add.Text(matrix[r][c].ToString(System.Globalization.CultureInfo.InvariantCulture), c, k - 1 - r);
                label.LabelAlignment = Alignment.MiddleCenter;
                label.LabelFontSize = 18;
                var cell = heatmap.Colormap.GetColor((double)(matrix[r][c] - min) / span);
                label.LabelFontColor = 0.299 * cell.R + 0.587 * cell.G + 0.114 * cell.B < 128 ? Colors.White : Colors.Black;
            }
        }

        plot.Axes.Bottom.SetTicks([.. Enumerable.Range(0, k).Select(i => (double)i)], [.. names.Take(k)]);
        plot.Axes.Left.SetTicks([.. Enumerable.Range(0, k).Select(i => (double)(k - 1 - i))], [.. names.Take(k)]);
        plot.Axes.SetLimits(-0.5, k - 0.5, -0.5, k - 0.5);
        plot.Add.ColorBar(heatmap);
        return Png(plot, width, height);
    }

    /// <summary>
    /// Reliability diagram of one or more reliability tables (<see cref="Calibration.Measure"/>), say before and after
    /// calibration: per non-empty bin, the observed accuracy against the mean confidence, each table a series named with
    /// its ECE, the diagonal being perfect calibration; bars show the share of samples in each bin of the last table.
    /// </summary>
    public static byte[] Reliability(IReadOnlyList<(string Name, CalibrationReport Report)> series, int width = 600, int height = 550,
        string title = "Reliability")
    {
        ArgumentNullException.ThrowIfNull(series);
        if (series.Count == 0)
            throw new ArgumentException("at least one reliability table", nameof(series));
        var plot = NewPlot(title, "predicted confidence (top class)", "observed accuracy");
        var diagonal = plot.Add.Line(0, 0, 1, 1);
        diagonal.LinePattern = LinePattern.Dashed;
        diagonal.LineColor = Colors.Gray;
        diagonal.LegendText = "perfect calibration";
        var last = series[^1].Report;
        var total = Math.Max(1, last.Table.Sum(b => b.Count));
        var shares = plot.Add.Bars(last.Table.Select(b => new Bar
        {
            Position = (b.From + b.To) / 2, Value = (double)b.Count / total, Size = (b.To - b.From) * 0.9,
        }).ToList());
        shares.LegendText = "share of samples" + (series.Count > 1 ? $" ({series[^1].Name})" : string.Empty);
        shares.Color = Colors.Gray.WithAlpha(0.3);
        for (var i = 0; i < series.Count; i++)
        {
            var (name, report) = series[i];
            var filled = report.Table.Where(b => b is { Count: > 0, MeanConfidence: not null, Accuracy: not null }).ToList();
            var points = plot.Add.Scatter(filled.Select(b => b.MeanConfidence!.Value).ToArray(), filled.Select(b => b.Accuracy!.Value).ToArray(),
                Palette[i % Palette.Length]);
            points.LegendText = string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{name} (ECE {report.Ece:F3})");
            points.MarkerSize = 8;
            points.LineWidth = 1.5f;
        }

        plot.Axes.SetLimits(0, 1, 0, 1);
        // Below the plot: inside, it would hide the points of an under-confident model (high accuracy at low confidence).
        plot.ShowLegend(Edge.Bottom);
        return Png(plot, width, height);
    }

    /// <summary>One set of probabilities before and after calibration, on one reliability diagram.</summary>
    public static byte[] Reliability(CalibrationReport before, CalibrationReport after, int width = 600, int height = 550, string title = "Reliability")
    {
        ArgumentNullException.ThrowIfNull(before);
        ArgumentNullException.ThrowIfNull(after);
        return Reliability([("before calibration", before), ("after calibration", after)], width, height, title);
    }

    /// <summary>A reliability diagram of class probabilities (n × 3, row-major) against labels, binned by <see cref="Calibration.Measure"/>.</summary>
    public static byte[] Reliability(IReadOnlyList<float> probabilities, IReadOnlyList<int> labels, int width = 600, int height = 550,
        string title = "Reliability")
    {
        ArgumentNullException.ThrowIfNull(probabilities);
        ArgumentNullException.ThrowIfNull(labels);
        if (probabilities.Count != labels.Count * SignalClasses.Count)
            throw new ArgumentException($"{probabilities.Count} probabilities for {labels.Count} labels", nameof(probabilities));
        return Reliability([("model", Calibration.Measure([.. probabilities], labels))], width, height, title);
    }

    static Plot NewPlot(string title, string x, string y)
    {
        PlotFonts.Register();
        var plot = new Plot();
        plot.Title(title);
        plot.XLabel(x);
        plot.YLabel(y);
        return plot;
    }

    static Plot EstimatesPanel(string title, string y, IReadOnlyList<string> folds, IReadOnlyList<EstimateSeries> series)
    {
        var plot = NewPlot(title, string.Empty, y);
        var offsetStep = 0.8 / Math.Max(1, series.Count);
        for (var s = 0; s < series.Count; s++)
        {
            var e = series[s];
            if (e.Values.Length != folds.Count || e.Lower.Length != folds.Count || e.Upper.Length != folds.Count)
                throw new ArgumentException($"{e.Name}: one value and interval per fold ({folds.Count})", nameof(series));
            var xs = Enumerable.Range(0, folds.Count).Select(f => f - 0.4 + offsetStep * (s + 0.5)).ToArray();
            var color = Palette[s % Palette.Length];
            var errors = plot.Add.ErrorBar(xs, e.Values, [.. e.Values.Select((v, i) => Math.Max(0, v - e.Lower[i]))]);
            errors.YErrorPositive = [.. e.Values.Select((v, i) => Math.Max(0, e.Upper[i] - v))];
            errors.Color = color;
            var points = plot.Add.Scatter(xs, e.Values, color);
            points.LineWidth = 0;
            points.MarkerSize = 8;
            points.LegendText = e.Name;
        }

        plot.Axes.Bottom.SetTicks([.. Enumerable.Range(0, folds.Count).Select(i => (double)i)], [.. folds]);
        plot.Add.HorizontalLine(0, 1, Colors.Gray, LinePattern.Dotted);
        plot.ShowLegend(Edge.Right);
        return plot;
    }

    static byte[] Png(Plot plot, int width, int height)
    {
        Check(width, height);
        return plot.GetImageBytes(width, height, ImageFormat.Png);
    }

    /// <summary>Plots one above another, sharing the height equally, in one PNG.</summary>
    static byte[] Stacked(int width, int height, params Plot[] plots)
    {
        Check(width, height);
        using var surface = SKSurface.Create(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul))
            ?? throw new InvalidOperationException($"SkiaSharp could not make a {width}×{height} surface");
        surface.Canvas.Clear(SKColors.White);
        // Each plot is drawn on its own: ScottPlot clears the whole canvas it renders on.
        var each = height / plots.Length;
        for (var i = 0; i < plots.Length; i++)
        {
            var panelHeight = i == plots.Length - 1 ? height - each * i : each;
            using var panel = SKImage.FromEncodedData(plots[i].GetImageBytes(width, panelHeight, ImageFormat.Png));
            surface.Canvas.DrawImage(panel, 0, each * i);
        }

        using var image = surface.Snapshot();
        using var data = image.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    static void Check(int width, int height)
    {
        if (width is < 16 or > 10_000 || height is < 16 or > 10_000)
            throw new ArgumentOutOfRangeException(nameof(width), $"{width}×{height}: a plot is 16 to 10,000 pixels a side");
    }
}
