using NeuralTrade.Events.Cli;
using Spectre.Console;

return await NeuralTradeCli.RunAsync(args, CliSettings.From(Environment.GetEnvironmentVariable), AnsiConsole.Console);
