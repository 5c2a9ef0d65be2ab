using System.CommandLine;
using Spectre.Console;

namespace NeuralTrade.Events.Cli.Commands;

/// <summary><c>neuraltrade broker definitions</c>: the broker's definitions, with the users' passwords hashed.</summary>
internal sealed class BrokerCommand(NeuralTradeCli cli)
{
    readonly Option<FileInfo> _template = new("--template")
    {
        Description = "Definitions template (default deploy/rabbitmq/definitions.template.json).",
        DefaultValueFactory = _ => new FileInfo(Path.Combine("deploy", "rabbitmq", "definitions.template.json")),
    };

    readonly Option<FileInfo?> _output = new("--out") { Description = "File to write (default: standard output)." };

    public Command Build()
    {
        var definitions = new Command("definitions",
            "Renders the broker's definitions (users, permissions, exchanges, dead-letter policy) with each user's password hashed from " +
            "RABBITMQ_PASSWORD_<USER> or RABBITMQ_PASSWORD_<USER>_FILE, for RabbitMQ's load_definitions.")
        {
            _template, _output,
        };
        definitions.SetAction((parse, ct) => cli.Guard(() => DefinitionsAsync(parse.GetValue(_template)!, parse.GetValue(_output), ct)));
        return new Command("broker", "The broker's own configuration.") { definitions };
    }

    async Task<int> DefinitionsAsync(FileInfo source, FileInfo? target, CancellationToken ct)
    {
        if (!source.Exists)
            throw new CliException($"no such file {source.FullName}", ExitCodes.Usage);
        return await WriteAsync(cli, BrokerDefinitions.Render(await File.ReadAllTextAsync(source.FullName, ct), cli.Environment), target, ct);
    }

    /// <summary>Writes rendered configuration (hashes, no password) to a file readable by owner and group only, or to standard output.</summary>
    internal static async Task<int> WriteAsync(NeuralTradeCli cli, string rendered, FileInfo? target, CancellationToken ct)
    {
        if (target is not null)
        {
            target.Directory?.Create();
            await File.WriteAllTextAsync(target.FullName, rendered, ct);
            // Hashes only, yet still not for every reader.
            if (!OperatingSystem.IsWindows())
                File.SetUnixFileMode(target.FullName, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead);
            cli.Console.MarkupLine($"wrote {Markup.Escape(target.FullName)}");
        }
        else
        {
            cli.Console.Profile.Out.Writer.Write(rendered);
        }

        return ExitCodes.Ok;
    }
}
