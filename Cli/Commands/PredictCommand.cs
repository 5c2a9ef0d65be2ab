using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using NeuralTrade.Events.Contracts;
using Spectre.Console;

namespace NeuralTrade.Events.Cli.Commands;

/// <summary><c>neuraltrade predict</c>: prediction.requested for a series, and the fleet's answer.</summary>
internal sealed class PredictCommand(NeuralTradeCli cli)
{
    readonly Option<string> _exchange = CliOptions.Exchange();
    readonly Option<string> _symbol = CliOptions.Symbol();
    readonly Option<string> _interval = CliOptions.Interval();
    readonly Option<DateTimeOffset?> _asOf = new("--as-of")
    {
        Description = "Score the stored window whose newest candle opens at this time (RFC 3339, e.g. 2024-01-15T10:30:00Z) instead of the newest one.",
    };
    readonly Option<int> _timeout = CliOptions.Timeout(30);
    readonly Option<bool> _json = CliOptions.Json("Print the answer's body (prediction.completed or prediction.failed) as it came, as JSON.");

    public Command Build()
    {
        var predict = new Command("predict", "Requests a prediction for the series' latest stored window, or the one at --as-of (prediction.requested), and prints the answer.")
        {
            _exchange, _symbol, _interval, _asOf, _timeout, _json,
        };
        predict.SetAction((parse, ct) => cli.Guard(() => PredictAsync(parse, ct)));
        return predict;
    }

    async Task<int> PredictAsync(ParseResult parse, CancellationToken ct)
    {
        await using var broker = await cli.ConnectBrokerAsync(ct);
        var answers = await broker.ListenAsync([Exchanges.PredictionCompleted, Exchanges.PredictionFailed], ct);
        var request = new PredictionRequested
        {
            RequestId = Guid.NewGuid(), Exchange = parse.GetValue(_exchange)!, Symbol = parse.GetValue(_symbol)!, Interval = parse.GetValue(_interval)!,
            AsOf = parse.GetValue(_asOf)?.ToUniversalTime(),
        };
        await broker.PublishAsync(Exchanges.PredictionRequested, request, ct);
        var answer = await NeuralTradeCli.WaitForAsync(answers, m => m.Json is { } j && j.TryGetProperty("requestId", out var id)
            && id.ValueKind == JsonValueKind.String && id.GetString() == request.RequestId.ToString(), parse.GetValue(_timeout), ct);
        if (answer is null)
            throw new CliException($"no answer to request {request.RequestId} within {parse.GetValue(_timeout)} s: is an Inference worker running? " +
                "(neuraltrade queues shows the consumers of 'inference')");
        if (parse.GetValue(_json))
        {
            cli.WriteJson(answer.Json);
            return answer.Exchange == Exchanges.PredictionCompleted ? ExitCodes.Ok : ExitCodes.Failed;
        }

        if (answer.Exchange == Exchanges.PredictionFailed)
        {
            PrintFailed(JsonSerializer.Deserialize<PredictionFailed>(answer.Body.Span, ContractJson.Options)!);
            return ExitCodes.Failed;
        }

        cli.Console.Write(PredictionTable(JsonSerializer.Deserialize<PredictionCompleted>(answer.Body.Span, ContractJson.Options)!, request.RequestId));
        return ExitCodes.Ok;
    }

    void PrintFailed(PredictionFailed failed)
    {
        cli.Console.MarkupLine($"[yellow]prediction.failed[/] [bold]{Markup.Escape(failed.Code)}[/]: {Markup.Escape(failed.Error)}");
        foreach (var reason in failed.Reasons ?? [])
            cli.Console.MarkupLine($"  {Markup.Escape(reason.Code)} {Markup.Escape(reason.Field ?? "")}: {Markup.Escape(reason.Message)}");
    }

    static Table PredictionTable(PredictionCompleted p, Guid requestId)
    {
        var table = new Table().Border(TableBorder.Rounded).AddColumn("prediction").AddColumn(Markup.Escape($"{p.Exchange}:{p.Symbol}:{p.Interval}"));
        table.AddRow("signal", $"[bold]{p.Signal.ToString().ToLowerInvariant()}[/] (confidence {p.Confidence.ToString("P1", CultureInfo.InvariantCulture)})");
        table.AddRow("sell / hold / buy", $"{p.Probabilities.Sell:0.000} / {p.Probabilities.Hold:0.000} / {p.Probabilities.Buy:0.000}");
        table.AddRow("risk", $"{p.Risk.Level.ToString().ToLowerInvariant()} ({p.Risk.Score:0.0}/10): {Markup.Escape(p.Risk.Recommendation)}");
        table.AddRow("risk factors", Markup.Escape(string.Join("; ", p.Risk.Factors)));
        table.AddRow("as of", p.AsOf.ToString("u", CultureInfo.InvariantCulture));
        table.AddRow("model", Markup.Escape($"{p.Model.Name} v{p.Model.Version}"));
        table.AddRow("latency", $"{p.LatencyMs:0.0} ms (in the worker)");
        table.AddRow("request", requestId.ToString());
        return table;
    }
}
