using System.CommandLine;
using NeuralTrade.Events.Fleet;

var csv = new Option<FileInfo?>("--csv")
{
    Description = "Candle file to replay (columns date,open,high,low,close,volume). Default: the bundled sample.",
};
var simulate = new Option<int?>("--simulate")
{
    Description = "Replay this many candles of the built-in simulated market instead of a file.",
};
var exchange = new Option<string>("--exchange") { Description = "Exchange of the replayed series.", DefaultValueFactory = _ => "binance" };
var symbol = new Option<string>("--symbol") { Description = "Symbol of the replayed series.", DefaultValueFactory = _ => "BTC/USDT" };
var interval = new Option<string>("--interval") { Description = "Interval of the replayed series.", DefaultValueFactory = _ => "1m" };
var batch = new Option<int>("--batch-size") { Description = "Candles per market.candles message (1-10000).", DefaultValueFactory = _ => 100 };
batch.Validators.Add(r =>
{
    if (r.GetValue(batch) is < 1 or > 10_000)
        r.AddError("--batch-size must be between 1 and 10000.");
});

var root = new RootCommand(
    "NeuralTrade.Events fleet in one process. Without RABBITMQ_URL / REDIS_URL it runs on embedded defaults " +
    "(in-memory bus and stores): it replays market data into the Ingest worker and reports what was stored, " +
    "rejected and announced.")
{
    csv, simulate, exchange, symbol, interval, batch,
};
root.SetAction((parse, cancellationToken) => FleetDemo.RunAsync(new FleetDemo.Settings(
    parse.GetValue(csv), parse.GetValue(simulate), parse.GetValue(exchange)!, parse.GetValue(symbol)!, parse.GetValue(interval)!,
    parse.GetValue(batch)), cancellationToken));

var count = new Option<int>("--count") { Description = "Number of candles.", DefaultValueFactory = _ => 3_000 };
var output = new Option<FileInfo>("--out") { Description = "CSV file to write.", Required = true };
var seed = new Option<int>("--seed") { Description = "Random seed.", DefaultValueFactory = _ => 7 };
var simulateCommand = new Command("simulate", "Writes candles of the built-in simulated market to a CSV file.")
{
    count, output, seed, interval,
};
simulateCommand.SetAction(parse => FleetDemo.WriteSimulated(parse.GetValue(output)!, parse.GetValue(count), parse.GetValue(seed),
    parse.GetValue(interval)!));
root.Subcommands.Add(simulateCommand);

return await root.Parse(args).InvokeAsync();
