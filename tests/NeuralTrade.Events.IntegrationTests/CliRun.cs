using NeuralTrade.Events.Cli;
using Spectre.Console;

namespace NeuralTrade.Events.IntegrationTests;

/// <summary>Runs <c>neuraltrade ARGS</c> in process, as an operator would in a terminal 200 columns wide, and keeps what it printed.</summary>
public static class CliRun
{
    internal static async Task<(int Code, string Output)> RunAsync(CliSettings settings, params string[] args)
    {
        var output = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors, Interactive = InteractionSupport.No, Out = new AnsiConsoleOutput(output),
        });
        console.Profile.Width = 200;
        var code = await NeuralTradeCli.RunAsync(args, settings, console);
        TestContext.Out.WriteLine($"$ neuraltrade {string.Join(' ', args)}  → {code}\n{output}");
        return (code, output.ToString());
    }
}
