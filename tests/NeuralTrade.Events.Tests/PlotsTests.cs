using NeuralTrade.Events.Modeling;
using NeuralTrade.Events.Reporting;
using SkiaSharp;

namespace NeuralTrade.Events.Tests;

public sealed class PlotsTests
{
    static readonly byte[] PngSignature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>Decodes <paramref name="png"/> and checks it is a PNG of the size asked for with more than one colour in it.</summary>
    internal static SKBitmap AssertPng(byte[] png, int width, int height)
    {
        // Kept beside the test run to look at (NUnit attaches it to the result).
        var path = Path.Combine(TestContext.CurrentContext.WorkDirectory, "plots", $"{TestContext.CurrentContext.Test.MethodName}-{width}x{height}.png");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, png);
        TestContext.AddTestAttachment(path);
        Assert.That(png.Take(8), Is.EqualTo(PngSignature));
        var bitmap = SKBitmap.Decode(png);
        Assert.That(bitmap, Is.Not.Null);
        Assert.That((bitmap.Width, bitmap.Height), Is.EqualTo((width, height)));
        Assert.That(Colours(bitmap, 0, 0, width, height), Is.GreaterThan(1), "a blank image");
        return bitmap;
    }

    static int Colours(SKBitmap bitmap, int left, int top, int right, int bottom)
    {
        var seen = new HashSet<uint>();
        for (var y = top; y < bottom; y++)
        {
            for (var x = left; x < right; x++)
                seen.Add((uint)bitmap.GetPixel(x, y));
        }

        return seen.Count;
    }

    static ConfidenceInterval Around(double v, double w) => new(v, v - w, v + w, w / 2);

    [Test]
    public void Text_renders_with_the_bundled_font()
    {
        Assert.That(PlotFonts.Typeface.FamilyName, Is.EqualTo(PlotFonts.Family));
        Assert.That(PlotFonts.Typeface.GlyphCount, Is.GreaterThan(1000));
        using var font = new SKFont(PlotFonts.Typeface, 24);
        Assert.That(font.MeasureText("Sharpe"), Is.GreaterThan(20));

        // Only text on a white page: with no usable font the page stays one colour.
        var plot = new ScottPlot.Plot();
        PlotFonts.Register();
        plot.Layout.Frameless();
        plot.Axes.Frameless();
        plot.HideGrid();
        var text = plot.Add.Text("Sharpe 1.23", 0, 0);
        text.LabelFontSize = 40;
        text.LabelFontName = PlotFonts.Family;
        text.LabelAlignment = ScottPlot.Alignment.MiddleCenter;
        AssertPng(plot.GetImageBytes(300, 100, ScottPlot.ImageFormat.Png), 300, 100);
        Assert.That(ScottPlot.Fonts.Default, Is.EqualTo(PlotFonts.Family));
        Assert.That(ScottPlot.Fonts.GetTypeface(PlotFonts.Family, bold: true, italic: false), Is.SameAs(PlotFonts.Typeface),
            "the bundled font, not a system one, answers for the family");
    }

    [Test]
    public void Fold_metrics_plot_two_panels_of_estimates_with_intervals()
    {
        string[] folds = ["fold 1", "fold 2", "fold 3"];
        var f1 = new[]
        {
            EstimateSeries.Of("model", [Around(0.42, 0.05), Around(0.38, 0.06), Around(0.45, 0.04)]),
            EstimateSeries.Of("persistence", [Around(0.33, 0), Around(0.31, 0), Around(0.35, 0)]),
        };
        var sharpe = new[]
        {
            EstimateSeries.Of("model", [Around(1.2, 0.8), Around(-0.3, 0.9), Around(0.7, 0.6)]),
            EstimateSeries.Of("persistence", [Around(0.1, 0.5), Around(0.2, 0.4), Around(-0.1, 0.7)]),
        };

        var bitmap = AssertPng(Plots.FoldMetrics(folds, f1, sharpe, 900, 700), 900, 700);

        // Both halves hold a plot.
        Assert.That(Colours(bitmap, 0, 0, 900, 350), Is.GreaterThan(10));
        Assert.That(Colours(bitmap, 0, 350, 900, 700), Is.GreaterThan(10));
    }

    [Test]
    public void Equity_curves_plot()
    {
        var start = new DateTimeOffset(2024, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var times = Enumerable.Range(1, 200).Select(i => start.AddMinutes(i)).ToArray();
        var model = new EquitySeries("model", times, [.. times.Select((_, i) => 1 + 0.001 * i)]);
        var hold = new EquitySeries("buy_and_hold", times, [.. times.Select((_, i) => 1 + 0.05 * Math.Sin(i / 10.0))]);

        AssertPng(Plots.EquityCurves([model, hold], 800, 400), 800, 400);
    }

    [Test]
    public void Learning_curves_plot()
    {
        var history = Enumerable.Range(1, 12)
            .Select(e => new EpochProgress(e, 12, 1.1 / e, 1.0 / Math.Sqrt(e) + 0.01 * e, 1e-3, e == 6, e * 100, TimeSpan.FromSeconds(e))).ToList();

        AssertPng(Plots.LearningCurves(history, 640, 480, bestEpoch: 6), 640, 480);
    }

    [Test]
    public void Confusion_matrix_plot()
    {
        int[][] matrix = [[30, 5, 2], [8, 60, 9], [1, 6, 25]];

        AssertPng(Plots.ConfusionMatrix(matrix, 500, 450), 500, 450);
        Assert.That(() => Plots.ConfusionMatrix([[1, 2], [3]]), Throws.ArgumentException);
    }

    [Test]
    public void Reliability_plot_draws_the_calibration_tables_before_and_after()
    {
        var random = new Random(2);
        var labels = Enumerable.Range(0, 300).Select(_ => random.Next(3)).ToArray();
        var probabilities = labels.SelectMany(l =>
        {
            var p = new float[3];
            var confident = (float)(0.34 + 0.6 * random.NextDouble());
            var predicted = random.NextDouble() < confident ? l : random.Next(3);
            p[predicted] = confident;
            p[(predicted + 1) % 3] = p[(predicted + 2) % 3] = (1 - confident) / 2;
            return p;
        }).ToArray();
        var before = Calibration.Measure(probabilities, labels);
        var sharpened = probabilities.ToArray();
        Calibration.Apply(sharpened, 0.5);
        var after = Calibration.Measure(sharpened, labels);

        var bitmap = AssertPng(Plots.Reliability(before, after, 600, 500, "Reliability (test)"), 600, 500);
        Assert.That(Colours(bitmap, 0, 0, 600, 500), Is.GreaterThan(10), "two series, the diagonal and the bars");

        // A table with empty bins (no mean, no accuracy) draws the bins it has.
        var sparse = new CalibrationReport(0.1, 1.0, [.. before.Table.Select((b, i) => i % 2 == 0 ? b with { Count = 0, MeanConfidence = null, Accuracy = null } : b)]);
        AssertPng(Plots.Reliability([("sparse", sparse)], 400, 400), 400, 400);
        AssertPng(Plots.Reliability(probabilities, labels, 500, 450), 500, 450);
        Assert.That(() => Plots.Reliability([]), Throws.ArgumentException);
        Assert.That(() => Plots.Reliability(probabilities, labels[1..]), Throws.ArgumentException);
    }
}
