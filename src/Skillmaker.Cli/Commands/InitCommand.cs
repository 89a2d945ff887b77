using Spectre.Console;
using System.CommandLine;
using Skillmaker.Cli.Infrastructure;
using Skillmaker.Common;
using Skillmaker.Jobs;
using Skillmaker.Storage;
using Skillmaker.Storage.Postgres;
using Skillmaker.Storage.Queue;
using Skillmaker.Storage.S3;
using Skillmaker.Workspaces;

namespace Skillmaker.Cli.Commands;

/// <summary><c>skillmaker init [DIR]</c>: creates a workspace (catalog, blob folder, config with a seed); with
/// <c>--catalog postgres://…</c> and <c>--blobs s3://…</c> a server-mode one, after checking that every
/// server answers. Secrets never go into the config: a password in a URL is moved to the workspace's
/// credentials file (0600).</summary>
public static class InitCommand
{
    public static Command Create(CliHost host, GlobalOptions options)
    {
        var dir = new Argument<string?>("DIR") { Description = "Folder to create the workspace in (default: --workspace, else the current folder)", Arity = ArgumentArity.ZeroOrOne };
        var seed = new Option<long?>("--seed") { Description = "Seed for everything random in this workspace (default: drawn at random)" };
        var catalogOption = new Option<string?>("--catalog") { Description = "Catalog: postgres://user@host[:port]/database[?schema=name] for server mode (default: SQLite in .skillmaker/). The password comes from PGPASSWORD or a credentials file; one given in the URL is moved to .skillmaker/credentials (0600)", HelpName = "LOCATION" };
        var blobsOption = new Option<string?>("--blobs") { Description = "Blob store: s3://bucket/prefix (credentials from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY) or a folder (default: .skillmaker/blobs)", HelpName = "LOCATION" };
        var queueOption = new Option<string?>("--queue") { Description = "Job queue: postgres://user@host[:port]/database[?schema=name] (default with a PostgreSQL catalog: its database, schema hangfire)", HelpName = "LOCATION" };
        var endpoint = new Option<string?>("--s3-endpoint") { Description = "S3-compatible endpoint URL (MinIO, Ceph, s3rver; default: $SKILLMAKER_S3_ENDPOINT at run time, else AWS)", HelpName = "URL" };
        var region = new Option<string?>("--s3-region") { Description = "S3 region (default: $AWS_REGION at run time, else us-east-1)", HelpName = "REGION" };
        var command = new Command("init", "Create a workspace: .skillmaker/ with the catalog, blob store and config (server mode with --catalog postgres://… --blobs s3://…)")
        {
            dir, seed, catalogOption, blobsOption, queueOption, endpoint, region,
        };
        command.SetAction(CliApp.Action(host, options, async (run, parse, ct) =>
        {
            var target = parse.GetValue(dir) is { } d ? run.ResolvePath(d) : run.WorkspacePath;
            var config = Configure(parse.GetValue(seed) ?? Workspace.NewSeed(), parse.GetValue(catalogOption), parse.GetValue(blobsOption), parse.GetValue(queueOption),
                parse.GetValue(endpoint), parse.GetValue(region), out var password);
            var workspace = Workspace.Prepare(target, config);
            var environment = run.EnvironmentWithCredentials;
            if (password is not null) environment = With(environment, "PGPASSWORD", password);

            // Every server is checked before anything is written: a failed init leaves no workspace behind.
            string? queueLocation = null;
            if (PostgresLocation.Handles(config.Catalog))
                await (await WorkspaceStorage.OpenCatalogAsync(workspace, environment, ct, connectAttempts: 3)).DisposeAsync();
            if (config.Blobs.StartsWith("s3://", StringComparison.Ordinal))
            {
                using var s3 = (S3BlobStore)WorkspaceStorage.OpenBlobs(workspace, environment);
                await s3.CheckAsync(ct);
            }
            if (config.Jobs is { ServerMode: true } jobs)
                queueLocation = (await HangfireQueue.OpenAsync(jobs.Storage!, jobs, QueueRole.Submitter, connectAttempts: 3, onRetry: null, environment, ct)).Location;
            await workspace.SaveAsync(ct);
            string? credentials = null;
            if (password is not null)
            {
                credentials = Path.Combine(workspace.StateDirectory, Credentials.FileName);
                await Credentials.WriteAsync(credentials, new Dictionary<string, string> { ["PGPASSWORD"] = password }, ct);
            }

            await using var catalog = await WorkspaceStorage.OpenCatalogAsync(workspace, environment, ct);
            var blobs = WorkspaceStorage.OpenBlobs(workspace, environment);
            var version = await catalog.GetSchemaVersionAsync(ct);
            if (run.IsJson)
                run.WriteJson(new { workspace = workspace.Root, config = workspace.ConfigPath, catalog = catalog.Location, blobs = blobs.Location, queue = queueLocation, credentials, schemaVersion = version, seed = workspace.Config.Seed });
            else
            {
                run.Console.WriteLine($"Created workspace {workspace.Root}\n  config   {workspace.ConfigPath}\n  catalog  {catalog.Location} (schema v{version})\n  blobs    {blobs.Location}\n  seed     {workspace.Config.Seed}");
                if (queueLocation is not null) run.Console.WriteLine($"  queue    {queueLocation} (server mode: start workers with skillmaker worker; see docs/scale-out.md)");
                if (credentials is not null) run.Console.WriteLine($"  the password from the URL is in {credentials} (mode 0600), not in the config; other machines need PGPASSWORD or a credentials file of their own");
            }
            (blobs as IDisposable)?.Dispose();
            return ExitCodes.Ok;
        }));
        return command;
    }

    /// <summary>The new workspace's config from the options, with every password taken out (returned in
    /// <paramref name="password"/>, at most one).</summary>
    private static WorkspaceConfig Configure(long seed, string? catalog, string? blobs, string? queue, string? endpoint, string? region, out string? password)
    {
        var postgres = catalog is not null && PostgresLocation.Handles(catalog);
        if (catalog is not null && !postgres && !catalog.StartsWith("sqlite:", StringComparison.Ordinal))
            throw new UsageException($"--catalog '{PostgresLocation.RedactPassword(catalog)}': expected postgres://user@host[:port]/database[?schema=name] (or sqlite:PATH).");
        if (queue is not null && !postgres)
            throw new UsageException("--queue needs a PostgreSQL catalog (--catalog postgres://…): workers on other machines must reach the catalog.");
        if (postgres && catalog!.StartsWith("Host=", StringComparison.OrdinalIgnoreCase) && queue is null)
            throw new UsageException("--catalog is a connection string: give the job queue as --queue postgres://user@host/database (or the catalog as postgres://…).");
        var passwords = new[] { catalog, queue }.Where(l => l is not null).Select(l => Credentials.PasswordIn(l!)).Where(p => p is not null).Distinct().ToList();
        if (passwords.Count > 1)
            throw new UsageException("--catalog and --queue carry different passwords; one PGPASSWORD serves both: use one account, or leave the passwords out and set PGPASSWORD.");
        password = passwords.FirstOrDefault();
        if (postgres) _ = PostgresLocation.Parse(catalog!, _ => null); // says what is wrong with a malformed location
        var storage = queue ?? (postgres ? DefaultQueue(catalog!) : null);
        return new WorkspaceConfig
        {
            Seed = seed,
            Catalog = catalog is null ? new WorkspaceConfig { Seed = seed }.Catalog : Credentials.WithoutPassword(catalog),
            Blobs = blobs ?? new WorkspaceConfig { Seed = seed }.Blobs,
            S3 = endpoint is null && region is null ? null : new S3Settings { Endpoint = endpoint, Region = region },
            Jobs = storage is null ? null : new JobsSettings { Storage = Credentials.WithoutPassword(storage) },
        };
    }

    /// <summary>The catalog's database, schema hangfire: where workers of every workspace in it wait.</summary>
    private static string DefaultQueue(string catalog)
    {
        var query = catalog.IndexOf('?', StringComparison.Ordinal);
        return $"{(query < 0 ? catalog : catalog[..query])}?schema={HangfireQueue.DefaultSchema}";
    }

    private static Func<string, string?> With(Func<string, string?> environment, string name, string value) =>
        n => n == name ? value : environment(n);
}
