using Skillmaker.Server;

// The server as its own process, as a skill's container runs it: the workspace from --workspace or
// $SKILLMAKER_WORKSPACE, its serving config, listening on --urls. `healthcheck URL` is the container's probe.
// Workspace files private to the user by default (SKILLMAKER_FILE_ACCESS=group to share with the group).
Skillmaker.Common.FilePrivacy.Apply(Environment.GetEnvironmentVariable);
return await ServerProgram.RunAsync(args, Console.Out, Console.Error, Environment.GetEnvironmentVariable, Environment.CurrentDirectory);
