using NeuralTrade.Events.Cli;
using NeuralTrade.Events.Terminal;

return await NeuralTradeCli.RunAsync(args, CliSettings.From(Environment.GetEnvironmentVariable), TerminalConsole.Create(),
    error: TerminalConsole.Create(outputRedirected: Console.IsErrorRedirected, output: Console.Error));
