using NeuralTrade.Events.Cli;
using NeuralTrade.Events.Terminal;

var error = TerminalConsole.Create(outputRedirected: Console.IsErrorRedirected, output: Console.Error);
// An error is one line: redirected (a log, a script reading it), it is not wrapped at the 80 columns assumed without a terminal.
if (Console.IsErrorRedirected)
    error.Profile.Width = 1_000;
return await NeuralTradeCli.RunAsync(args, CliSettings.From(Environment.GetEnvironmentVariable), TerminalConsole.Create(), error: error);
