using Spectre.Console;

namespace NeuralTrade.Events.Terminal;

/// <summary>
/// The console the CLI and the Fleet demo write to. Spectre.Console decides on ANSI from <c>TERM</c> alone, so output
/// redirected to a file or a pipe would carry escape sequences; here a redirected output gets plain text and no live
/// view, and <c>NO_COLOR</c> (no-color.org: set and not empty) turns colours off in a terminal too.
/// (Compiled into both projects: Fleet links this file.)
/// </summary>
internal static class TerminalConsole
{
    public static IAnsiConsole Create(Func<string, string?>? environment = null, bool? outputRedirected = null, TextWriter? output = null)
    {
        environment ??= Environment.GetEnvironmentVariable;
        var redirected = outputRedirected ?? Console.IsOutputRedirected;
        var noColor = !string.IsNullOrEmpty(environment("NO_COLOR"));
        return AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = redirected ? AnsiSupport.No : AnsiSupport.Detect,
            ColorSystem = redirected || noColor ? ColorSystemSupport.NoColors : ColorSystemSupport.Detect,
            Interactive = redirected ? InteractionSupport.No : InteractionSupport.Detect,
            Out = new AnsiConsoleOutput(output ?? Console.Out),
        });
    }
}
