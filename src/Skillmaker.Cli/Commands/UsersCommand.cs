using System.CommandLine;
using Spectre.Console;
using Skillmaker.Cli.Infrastructure;
using Skillmaker.Users;

namespace Skillmaker.Cli.Commands;

/// <summary><c>skillmaker users add|list</c>: accounts for the crowd and review pages.</summary>
public static class UsersCommand
{
    public static Command Create(CliHost host, GlobalOptions options)
    {
        var name = new Argument<string>("NAME") { Description = "User name (letters, digits, '.', '_', '-', '@')" };
        var role = new Option<string>("--role") { Description = "crowd (answers tasks), expert (also reviews) or admin", Required = true, HelpName = "ROLE" };
        role.AcceptOnlyFromAmong("crowd", "expert", "admin");
        var baseUrl = new Option<string>("--base-url") { Description = "Address people open the server at, for the login link (default http://127.0.0.1:5080)", HelpName = "URL", DefaultValueFactory = _ => "http://127.0.0.1:5080" };
        var expires = new Option<double?>("--expires-days") { Description = "Days the login token works (default: until revoked)", HelpName = "D" };
        var add = new Command("add", "Create a user and print their login link (the token is shown once; only its hash is stored)") { name, role, baseUrl, expires };
        add.SetAction(CliApp.Action(host, options, async (run, parse, ct) =>
        {
            await using var line = await run.OpenLineAsync(ct);
            var users = line.Users();
            var days = parse.GetValue(expires);
            if (days is <= 0) throw new UsageException($"--expires-days {days} must be positive.");
            var (user, token) = await users.AddAsync(parse.GetValue(name)!, UserRoles.Parse(parse.GetValue(role)!), ct, days is { } d ? TimeSpan.FromDays(d) : null);
            var link = $"{parse.GetValue(baseUrl)!.TrimEnd('/')}/login?token={Uri.EscapeDataString(token)}";
            if (run.IsJson) run.WriteJson(new { user.Name, role = user.Role.ToWire(), token, loginLink = link, tokenExpiresAt = user.TokenExpiresAt });
            else
            {
                run.Console.WriteLine($"Created {user.Role.ToWire()} user {user.Name}. Give them this login link (shown once):");
                run.Console.WriteLine(link);
                run.Console.WriteLine($"token: {token}");
            }
            return ExitCodes.Ok;
        }));
        var list = new Command("list", "List users (never their tokens)");
        list.SetAction(CliApp.Action(host, options, async (run, parse, ct) =>
        {
            await using var line = await run.OpenLineAsync(ct);
            var all = await line.UserStore.ListAsync(ct);
            if (run.IsJson) { run.WriteJson(new { users = all.Select(u => new { u.Name, role = u.Role.ToWire(), u.CreatedAt, u.TokenExpiresAt, u.RevokedAt }) }); return ExitCodes.Ok; }
            var table = new Table().AddColumns("Name", "Role", "Created", "Token expires", "Revoked");
            foreach (var u in all) table.AddRow(TerminalText.Escape(u.Name), u.Role.ToWire(), u.CreatedAt.ToString("u"), u.TokenExpiresAt?.ToString("u") ?? "-", u.RevokedAt?.ToString("u") ?? "-");
            run.Console.Write(table);
            return ExitCodes.Ok;
        }));
        var revokeName = new Argument<string>("NAME") { Description = "User to revoke" };
        var revoke = new Command("revoke", "Revoke a user's token and end their sessions at their next request") { revokeName };
        revoke.SetAction(CliApp.Action(host, options, async (run, parse, ct) =>
        {
            await using var line = await run.OpenLineAsync(ct);
            await line.Users().RevokeAsync(parse.GetValue(revokeName)!, ct);
            if (run.IsJson) run.WriteJson(new { revoked = parse.GetValue(revokeName) });
            else run.Console.WriteLine($"Revoked {parse.GetValue(revokeName)}.");
            return ExitCodes.Ok;
        }));
        var command = new Command("users", "Manage who may use the crowd and review pages");
        command.Subcommands.Add(revoke);
        command.Subcommands.Add(add);
        command.Subcommands.Add(list);
        return command;
    }
}
