using System.Reflection;
using ScottPlot;
using SkiaSharp;

namespace NeuralTrade.Events.Reporting;

/// <summary>
/// The typeface every plot uses: DejaVu Sans, embedded in this assembly. SkiaSharp's self-contained Linux natives
/// (NoDependencies) do not ask fontconfig for fonts, and a slim container may have none installed; with the font
/// bundled, text renders the same everywhere. Registered with ScottPlot once per process, as its default family.
/// </summary>
public static class PlotFonts
{
    public const string Family = "DejaVu Sans";
    const string Resource = "NeuralTrade.Events.Reporting.DejaVuSans.ttf";

    static readonly Lazy<SKTypeface> LazyTypeface = new(Load);
    static readonly Lock Gate = new();
    static bool _registered;

    /// <summary>The embedded typeface.</summary>
    public static SKTypeface Typeface => LazyTypeface.Value;

    /// <summary>Makes the embedded family ScottPlot's default (sans and default); idempotent and thread-safe.</summary>
    public static void Register()
    {
        lock (Gate)
        {
            if (_registered)
                return;
            Fonts.FontResolvers.Insert(0, new EmbeddedFontResolver(Typeface));
            Fonts.Default = Family;
            Fonts.Sans = Family;
            _registered = true;
        }
    }

    static SKTypeface Load()
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(Resource)
            ?? throw new InvalidOperationException($"the font resource {Resource} is missing from {Assembly.GetExecutingAssembly().FullName}");
        using var data = SKData.Create(stream);
        return SKTypeface.FromData(data) ?? throw new InvalidOperationException($"{Resource} is not a font SkiaSharp can read");
    }

    /// <summary>Answers for the embedded family whatever weight or slant is asked for (bold titles are drawn regular).</summary>
    sealed class EmbeddedFontResolver(SKTypeface typeface) : IFontResolver
    {
        public SKTypeface? CreateTypeface(string fontName, bool bold, bool italic) => Matches(fontName) ? typeface : null;

        public SKTypeface? CreateTypeface(string fontName, FontWeight weight, FontSlant slant, FontSpacing width) => Matches(fontName) ? typeface : null;

        static bool Matches(string fontName) => string.Equals(fontName, Family, StringComparison.OrdinalIgnoreCase);
    }
}
