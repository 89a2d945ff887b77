using Skillmaker.Cli.Infrastructure;

// Workspace files private to the user by default (SKILLMAKER_FILE_ACCESS=group to share with the group).
Skillmaker.Common.FilePrivacy.Apply(Environment.GetEnvironmentVariable);
return await CliApp.RunAsync(args, CliHost.FromProcess(), CancellationToken.None);
