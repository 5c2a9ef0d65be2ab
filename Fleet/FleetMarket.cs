using NeuralTrade.Events.Contracts;
using NeuralTrade.Events.MarketData;
using NeuralTrade.Events.Terminal;
using Spectre.Console;

namespace NeuralTrade.Events.Fleet;

/// <summary>The market the demo replays: the built-in simulated one or a CSV file.</summary>
internal static class FleetMarket
{
    internal static (List<Candle> Candles, int? ShiftAt)? Load(FleetDemo.Settings settings, IAnsiConsole console)
    {
        if (settings.Csv is null)
        {
            var count = settings.Simulate ?? 7_000;
            var shiftAt = settings.ShiftAt ?? count / 2;
            var market = SimulatedMarket.Demo(shiftAt) with { Exchange = settings.Exchange, Symbol = settings.Symbol, Interval = settings.Interval };
            console.MarkupLine($"built-in simulated market: {count:N0} {Markup.Escape(settings.Interval)} candles with a learnable pattern; " +
                $"at candle {shiftAt:N0} it breaks to {market.ShiftVolatility}× the volatility, {market.ShiftVolume}× the volume and a reversed pattern");
            return (new MarketSimulator(market).Generate(count).ToList(), shiftAt);
        }

        var file = settings.Csv;
        if (!file.Exists)
        {
            console.MarkupLine($"[red]error:[/] no such file {Markup.Escape(file.FullName)}");
            return null;
        }

        using var reader = file.OpenText();
        var candles = new List<Candle>();
        try
        {
            foreach (var row in CandleCsv.Read(reader, settings.Exchange, settings.Symbol, settings.Interval))
            {
                if (row.Candle is not null)
                    candles.Add(row.Candle);
                else
                    console.MarkupLine($"[yellow]skipped[/] {Markup.Escape(file.Name)} line {row.Line}: {Markup.Escape(row.Error!)}");
            }
        }
        catch (InvalidDataException e)
        {
            console.MarkupLine($"[red]error:[/] {Markup.Escape(file.Name)}: {Markup.Escape(e.Message)}");
            return null;
        }

        console.MarkupLine($"read {candles.Count:N0} candles from {Markup.Escape(file.FullName)}");
        if (candles.Count == 0)
        {
            console.MarkupLine("[red]error:[/] the file holds no candle");
            return null;
        }

        return (candles, null);
    }

    public static int WriteSimulated(FileInfo output, int count, int seed, string interval, int? shiftAt)
    {
        var market = shiftAt is { } s ? SimulatedMarket.Demo(s) with { Seed = seed, Interval = interval } : new SimulatedMarket { Seed = seed, Interval = interval };
        var candles = new MarketSimulator(market).Generate(count);
        output.Directory?.Create();
        using var writer = output.CreateText();
        CandleCsv.Write(writer, candles);
        TerminalConsole.Create().MarkupLine($"wrote {count:N0} simulated {Markup.Escape(interval)} candles to {Markup.Escape(output.FullName)}");
        return 0;
    }
}
