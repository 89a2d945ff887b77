using System.CommandLine;
using Spectre.Console;
using Skillmaker.Cli.Infrastructure;

namespace Skillmaker.Cli.Commands;

/// <summary><c>skillmaker api-keys add|list|revoke</c>: clients of the inference API.</summary>
public static class ApiKeysCommand
{
    public static Command Create(CliHost host, GlobalOptions options)
    {
        var name = new Argument<string>("NAME") { Description = "Client name (letters, digits, '.', '_', '-', '@')" };
        var add = new Command("add", "Create an API key for a client (shown once; only its hash is stored)") { name };
        add.SetAction(CliApp.Action(host, options, async (run, parse, ct) =>
        {
            await using var line = await run.OpenLineAsync(ct);
            var (client, key) = await line.ApiKeys().AddAsync(parse.GetValue(name)!, ct);
            if (run.IsJson) run.WriteJson(new { client.Name, key, client.CreatedAt });
            else
            {
                run.Console.WriteLine($"Created API client {client.Name}. Its key (shown once; send it as the X-Api-Key header):");
                run.Console.WriteLine(key);
            }
            return ExitCodes.Ok;
        }));
        var list = new Command("list", "List API clients (never their keys)");
        list.SetAction(CliApp.Action(host, options, async (run, parse, ct) =>
        {
            await using var line = await run.OpenLineAsync(ct);
            var all = await line.ApiKeys().ListAsync(ct);
            if (run.IsJson) { run.WriteJson(new { clients = all }); return ExitCodes.Ok; }
            var table = new Table().AddColumns("Client", "Created", "Revoked");
            foreach (var c in all) table.AddRow(TerminalText.Escape(c.Name), c.CreatedAt.ToString("u"), c.RevokedAt?.ToString("u") ?? "-");
            run.Console.Write(table);
            return ExitCodes.Ok;
        }));
        var revokeName = new Argument<string>("NAME") { Description = "Client whose key stops working (servers notice within 30 s)" };
        var revoke = new Command("revoke", "Revoke a client's API key") { revokeName };
        revoke.SetAction(CliApp.Action(host, options, async (run, parse, ct) =>
        {
            await using var line = await run.OpenLineAsync(ct);
            await line.ApiKeys().RevokeAsync(parse.GetValue(revokeName)!, ct);
            if (run.IsJson) run.WriteJson(new { revoked = parse.GetValue(revokeName) });
            else run.Console.WriteLine($"Revoked {parse.GetValue(revokeName)}; running servers refuse its key within 30 s.");
            return ExitCodes.Ok;
        }));
        var command = new Command("api-keys", "Manage the clients that may call the inference API");
        command.Subcommands.Add(add);
        command.Subcommands.Add(list);
        command.Subcommands.Add(revoke);
        return command;
    }

}
