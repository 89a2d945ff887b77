using Skillmaker.Cli.Infrastructure;

return await CliApp.RunAsync(args, CliHost.FromProcess(), CancellationToken.None);
