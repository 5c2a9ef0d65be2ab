using System.CommandLine;
using NeuralTrade.Events.Contracts;
using NeuralTrade.Events.MarketData;
using Spectre.Console;

namespace NeuralTrade.Events.Cli.Commands;

/// <summary><c>neuraltrade candles publish</c>: a CSV file's candles onto market.candles.</summary>
internal sealed class CandlesCommand(NeuralTradeCli cli)
{
    readonly Argument<FileInfo> _file = new("file") { Description = "CSV with columns date,open,high,low,close,volume (a header row)." };
    readonly Option<string> _exchange = CliOptions.Exchange();
    readonly Option<string> _symbol = CliOptions.Symbol();
    readonly Option<string> _interval = CliOptions.Interval();
    readonly Option<int> _batch = CliOptions.Positive("--batch-size", "Candles per market.candles message (1-10000, default 1000).", 1_000, 10_000);
    readonly Option<string> _source = new("--source") { Description = "Names the feed in market.candles (default: the file name)." };
    readonly Option<bool> _json = CliOptions.Json("Print what was published, and each skipped line, as one JSON document.");

    public Command Build()
    {
        var publish = new Command("publish", "Publishes the candles of a CSV file to market.candles, in order, with publisher confirms.")
        {
            _file, _exchange, _symbol, _interval, _batch, _source, _json,
        };
        publish.SetAction((parse, ct) => cli.Guard(() => PublishAsync(parse, ct)));
        return new Command("candles", "Market data.") { publish };
    }

    async Task<int> PublishAsync(ParseResult parse, CancellationToken ct)
    {
        var path = parse.GetValue(_file)!;
        if (!path.Exists)
            throw new CliException($"no such file {path.FullName}", ExitCodes.Usage);
        var json = parse.GetValue(_json);
        var (candles, skipped) = Read(parse, path, json);
        if (candles.Count == 0)
            throw new CliException($"{path.Name} holds no candle", ExitCodes.Usage);
        await using var broker = await cli.ConnectBrokerAsync(ct);
        var messages = 0;
        foreach (var chunk in candles.Chunk(parse.GetValue(_batch)))
        {
            await broker.PublishAsync(Exchanges.MarketCandles, new MarketCandles { Candles = chunk, Source = parse.GetValue(_source) ?? path.Name }, ct);
            messages++;
        }

        if (json)
        {
            cli.WriteJson(new CandlesPublishedJson(path.FullName, parse.GetValue(_exchange)!, parse.GetValue(_symbol)!, parse.GetValue(_interval)!,
                candles.Count, messages, skipped, cli.Settings.RedactedBroker));
            return ExitCodes.Ok;
        }

        cli.Console.MarkupLine($"published {candles.Count:N0} candles in {messages:N0} market.candles message(s) to {Markup.Escape(cli.Settings.RedactedBroker)}" +
            (skipped.Count > 0 ? $"; skipped {skipped.Count:N0} unreadable line(s)" : "") +
            ". Ingest answers with data.ingested / data.rejected.");
        return ExitCodes.Ok;
    }

    /// <summary>The file's candles, in order, and the lines skipped as unreadable (each one reported as it is read, unless for --json).</summary>
    (List<Candle> Candles, List<SkippedLineJson> Skipped) Read(ParseResult parse, FileInfo path, bool json)
    {
        var candles = new List<Candle>();
        var skipped = new List<SkippedLineJson>();
        using var reader = path.OpenText();
        try
        {
            foreach (var row in CandleCsv.Read(reader, parse.GetValue(_exchange)!, parse.GetValue(_symbol)!, parse.GetValue(_interval)!))
            {
                if (row.Candle is not null)
                {
                    candles.Add(row.Candle);
                }
                else
                {
                    skipped.Add(new SkippedLineJson(row.Line, row.Error!));
                    if (!json)
                        cli.Console.MarkupLine($"[yellow]skipped[/] line {row.Line}: {Markup.Escape(row.Error!)}");
                }
            }
        }
        catch (InvalidDataException e)
        {
            throw new CliException($"{path.Name}: {e.Message}", ExitCodes.Usage);
        }

        return (candles, skipped);
    }
}
