using System.Diagnostics;
using NeuralTrade.Events.Terminal;
using Spectre.Console;

namespace NeuralTrade.Events.Tests;

/// <summary>Output that is not a terminal carries no escape sequences, and NO_COLOR turns colours off (no-color.org).</summary>
public sealed class TerminalOutputTests
{
    [Test]
    public async Task Fleet_output_redirected_to_a_file_is_plain_text_even_when_TERM_names_a_colour_terminal()
    {
        var file = Path.Combine(Path.GetTempPath(), $"nt-sim-{Guid.NewGuid():N}.csv");
        var start = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "neuraltrade-fleet.dll"), "simulate", "--count", "1000", "--out", file])
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        start.Environment["TERM"] = "xterm-256color";
        start.Environment.Remove("NO_COLOR");
        try
        {
            using var process = Process.Start(start)!;
            var output = await process.StandardOutput.ReadToEndAsync();
            await process.WaitForExitAsync();

            Assert.That(process.ExitCode, Is.Zero, await process.StandardError.ReadToEndAsync());
            Assert.That(output, Does.Contain("wrote 1,000 simulated 1m candles"));
            Assert.That(output, Does.Not.Contain("\u001b"), "no ANSI escape sequence in redirected output");
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Test]
    public void NO_COLOR_set_and_not_empty_turns_colours_off_in_a_terminal()
    {
        using var output = new StringWriter();
        var console = TerminalConsole.Create(name => name == "NO_COLOR" ? "1" : null, outputRedirected: false, output);
        console.MarkupLine("[red]sell[/] [green]buy[/]");

        Assert.That(console.Profile.Capabilities.ColorSystem, Is.EqualTo(ColorSystem.NoColors));
        Assert.That(output.ToString(), Does.Contain("sell").And.Contain("buy").And.Not.Contain("\u001b[38"));

        using var other = new StringWriter();
        var detected = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(other) }).Profile.Capabilities.ColorSystem;
        Assert.That(TerminalConsole.Create(name => name == "NO_COLOR" ? "" : null, outputRedirected: false, other).Profile.Capabilities.ColorSystem,
            Is.EqualTo(detected), "an empty NO_COLOR changes nothing");
    }
}
