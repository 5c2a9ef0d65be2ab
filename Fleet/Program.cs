using System.CommandLine;
using NeuralTrade.Events.Fleet;

var csv = new Option<FileInfo?>("--csv")
{
    Description = "Candle file to replay (columns date,open,high,low,close,volume) instead of the built-in simulated market.",
};
var simulate = new Option<int?>("--simulate")
{
    Description = "Number of candles of the built-in simulated market (default 6000).",
};
var shift = new Option<int?>("--shift-at")
{
    Description = "Candle at which the simulated market breaks to a new volatility regime (default 7/12 of the candles).",
};
var history = new Option<int?>("--history")
{
    Description = "Candles replayed before the first model is trained (default 500 before the break, or 60% of a file).",
};
var epochs = new Option<int>("--epochs") { Description = "Epochs of each training run.", DefaultValueFactory = _ => 40 };
var exchange = new Option<string>("--exchange") { Description = "Exchange of the replayed series.", DefaultValueFactory = _ => "sim" };
var symbol = new Option<string>("--symbol") { Description = "Symbol of the replayed series.", DefaultValueFactory = _ => "BTC/USDT" };
var interval = new Option<string>("--interval") { Description = "Interval of the replayed series.", DefaultValueFactory = _ => "1m" };
var batch = new Option<int>("--batch-size") { Description = "Candles per market.candles message once live (1-10000).", DefaultValueFactory = _ => 10 };
batch.Validators.Add(r =>
{
    if (r.GetValue(batch) is < 1 or > 10_000)
        r.AddError("--batch-size must be between 1 and 10000.");
});
simulate.Validators.Add(r =>
{
    if (r.GetValue(simulate) is < 1_000 or > 1_000_000)
        r.AddError("--simulate must be between 1000 and 1000000 candles.");
});
epochs.Validators.Add(r =>
{
    if (r.GetValue(epochs) is < 1 or > 500)
        r.AddError("--epochs must be between 1 and 500.");
});

var root = new RootCommand(
    "NeuralTrade.Events fleet in one process: Ingest, Training, Registry, Inference and Monitor. Without RABBITMQ_URL / REDIS_URL / " +
    "MLFLOW_TRACKING_URI it runs on embedded defaults (in-memory bus and stores, local run tracking). It replays market data, trains " +
    "and deploys a first model, streams predictions, lets drift fire and the loop retrain, and shows it live.")
{
    csv, simulate, shift, history, epochs, exchange, symbol, interval, batch,
};
root.SetAction((parse, cancellationToken) => FleetDemo.RunAsync(new FleetDemo.Settings(
    parse.GetValue(csv), parse.GetValue(simulate), parse.GetValue(exchange)!, parse.GetValue(symbol)!, parse.GetValue(interval)!,
    parse.GetValue(batch), parse.GetValue(history), parse.GetValue(epochs), parse.GetValue(shift)), cancellationToken));

var count = new Option<int>("--count") { Description = "Number of candles.", DefaultValueFactory = _ => 3_000 };
var output = new Option<FileInfo>("--out") { Description = "CSV file to write.", Required = true };
var seed = new Option<int>("--seed") { Description = "Random seed.", DefaultValueFactory = _ => 7 };
var simulateCommand = new Command("simulate", "Writes candles of the built-in simulated market to a CSV file.")
{
    count, output, seed, interval, shift,
};
simulateCommand.SetAction(parse => FleetMarket.WriteSimulated(parse.GetValue(output)!, parse.GetValue(count), parse.GetValue(seed),
    parse.GetValue(interval)!, parse.GetValue(shift)));
root.Subcommands.Add(simulateCommand);

return await root.Parse(args).InvokeAsync();
