using System.CommandLine;
using Spectre.Console;
using Skillmaker.Cli.Infrastructure;
using Skillmaker.Training;

namespace Skillmaker.Cli.Commands;

/// <summary><c>train SKILL.json</c> and <c>train-all SKILL.json...</c>: skill configs to skill packages.</summary>
public static class TrainCommands
{
    public static Command Train(CliHost host, GlobalOptions options)
    {
        var config = new Argument<string>("SKILL.json") { Description = "Skill config (see docs/training.md)" };
        var (profile, threads) = (ProfileOption(), ThreadsOption("Thread budget (default: the profile's threads)"));
        var command = new Command("train", "Train a skill: extract (or reuse) the manifest, embed with the backbone (cached), train the head, evaluate, write an immutable versioned package and its report")
        {
            config, profile, threads,
        };
        var jobs = new JobOptions(detachable: false);
        jobs.Local.Description = "Compute embeddings in this process even when the workspace config has a jobs section (default there: on the workers)";
        jobs.AddTo(command);
        command.SetAction(CliApp.Action(host, options, async (run, parse, ct) =>
        {
            var skill = await SkillConfigLoader.LoadAsync(run.ResolvePath(parse.GetValue(config)!), run.Host.Environment, ct);
            await using var line = await run.OpenLineAsync(ct);
            var training = line.Trainer(jobs.OnWorkers(parse, line.Workspace) ? await line.WorkerEmbeddingsAsync(ct) : null);
            var result = await run.WithStagesAsync(progress =>
                training.TrainAsync(skill, parse.GetValue(profile), parse.GetValue(threads), TrainingProgress.AsStages(progress), ct));
            if (run.IsJson) run.WriteJson(TrainJson.Of(result));
            else TrainOutput.Render(run, result);
            return ExitCodes.Ok;
        }));
        return command;
    }

    public static Command TrainAll(CliHost host, GlobalOptions options)
    {
        var configs = new Argument<string[]>("SKILL.json") { Description = "Skill configs", Arity = ArgumentArity.OneOrMore };
        var (profile, threads) = (ProfileOption(), ThreadsOption("Total thread budget shared by the skills (default: the largest of their profiles' threads); on workers, each skill's budget on its worker"));
        var command = new Command("train-all", "Train several skills concurrently within one thread budget, sharing the embedding cache; in server mode one job per skill on the workers. Exit 1 if any failed")
        {
            configs, profile, threads,
        };
        var jobs = new JobOptions();
        jobs.Local.Description = "Train in this process even when the workspace config has a jobs section (default there: one job per skill on the workers)";
        jobs.AddTo(command);
        command.SetAction(CliApp.Action(host, options, async (run, parse, ct) =>
        {
            var paths = (parse.GetValue(configs) ?? []).Select(run.ResolvePath).ToList();
            if (paths.Distinct().Count() != paths.Count) throw new UsageException("a skill config is listed twice");
            var skills = new List<LoadedSkillConfig>();
            foreach (var path in paths) skills.Add(await SkillConfigLoader.LoadAsync(path, run.Host.Environment, ct));
            foreach (var dup in skills.GroupBy(s => s.Name).Where(g => g.Count() > 1))
                throw new UsageException($"skill name '{dup.Key}' is used by {string.Join(" and ", dup.Select(s => s.Path))}; train them one after the other");
            await using var line = await run.OpenLineAsync(ct);
            IReadOnlyList<TrainOutcome> outcomes;
            if (jobs.OnWorkers(parse, line.Workspace))
            {
                var trainJobs = line.TrainJobs();
                var dispatcher = await line.OpenJobsAsync(ct);
                var (runId, submitted) = await run.WithStagesAsync(progress => trainJobs.SubmitAsync(skills, parse.GetValue(profile), parse.GetValue(threads),
                    dispatcher, Jobs.WorkspaceRef.Of(line.Workspace), TrainingProgress.AsStages(progress), ct));
                if (jobs.Detached(parse)) return JobOptions.WriteDetached(run, TrainJobs.Kind, runId, submitted);
                var done = await JobOptions.StopWaitingOnCancelAsync(run, runId, () => run.WithStagesAsync(progress => trainJobs.WaitAsync(runId, dispatcher, TrainingProgress.AsStages(progress), ct)), ct);
                if (done is null) return ExitCodes.Failed;
                outcomes = done;
            }
            else
            {
                var training = line.Trainer();
                outcomes = await run.WithStagesAsync(progress =>
                    training.TrainAllAsync(skills, parse.GetValue(profile), parse.GetValue(threads), TrainingProgress.AsStages(progress), ct));
            }
            return TrainOutput.Report(run, outcomes);
        }));
        return command;
    }

    private static Option<string?> ProfileOption() => new("--profile", "-p") { Description = "Runtime profile from the config's profiles (default: 'default', else built-in: batch 16, all cores, cpu)", HelpName = "NAME" };

    private static Option<int?> ThreadsOption(string description)
    {
        var option = new Option<int?>("--threads") { Description = description, HelpName = "N" };
        option.Validators.Add(r => { if (r.GetValueOrDefault<int?>() is < 1 or > 1024) r.AddError("--threads must be between 1 and 1024"); });
        return option;
    }
}
