using Microsoft.Extensions.Logging;
using Skillmaker.Common;
using Skillmaker.Evaluation;
using Skillmaker.Registry;
using Skillmaker.Skills;
using Skillmaker.Vision.Skills;
using Skillmaker.Training;

namespace Skillmaker.Promotion;

public sealed record PromotionRequest(SkillRef Candidate, string Who, bool Force = false, string? Reason = null);

public sealed record PromotionResult
{
    public required SkillRef Candidate { get; init; }
    public required GateDecision Decision { get; init; }
    /// <summary>The production alias now points at the candidate.</summary>
    public required bool Promoted { get; init; }
    /// <summary>Promoted by --force although the gate did not pass.</summary>
    public required bool Forced { get; init; }
    public required bool AlreadyProduction { get; init; }
    public int? PreviousProduction { get; init; }
    public EvaluationSummary? CandidateEvaluation { get; init; }
    public EvaluationSummary? ProductionEvaluation { get; init; }
    /// <summary>"production" or "needs investigation".</summary>
    public required string Status { get; init; }
    public IReadOnlyList<string> DeploymentFiles { get; init; } = [];
    public string? DecisionPath { get; init; }
    public IReadOnlyList<DeliveryResult> Notifications { get; init; } = [];
}

/// <summary>The gate between a trained version and production: candidate and current production are
/// evaluated now, on the candidate's test data, on this machine, interleaved; the alias moves only
/// when the candidate is accurate enough and fast enough (or a person forces it with a reason).
/// Nothing is half-done: deployment files are computed before the alias moves, and a re-run of the
/// same promotion finishes what an interrupted one left.</summary>
public sealed partial class PromotionService(TrainingEnvironment environment)
{
    public const string NeedsInvestigation = "needs investigation";
    public const string ProductionStatus = "production";
    private readonly TrainingEnvironment _env = environment;
    private readonly ILogger _logger = environment.Logging.CreateLogger<PromotionService>();

    public string DeployDirectory => Path.Combine(_env.Workspace.Root, "deploy");
    public string DecisionsDirectory => _env.Gates.Directory;

    public async Task<PromotionResult> PromoteAsync(PromotionRequest request, IProgress<(int Done, int Total)>? progress, CancellationToken cancellationToken)
    {
        if (request.Force && string.IsNullOrWhiteSpace(request.Reason))
            throw new InvalidSettingException(null, "reason", "is required when a promotion is forced: a forced promotion is recorded with why");
        var name = request.Candidate.Name;
        var candidatePackage = await _env.Skills.LoadAsync(request.Candidate, null, cancellationToken);
        var info = candidatePackage.Info;
        var backbone = candidatePackage.BackbonePath;
        var current = await _env.Registry.GetAliasAsync(name, Aliases.Production, cancellationToken);
        if (current == info.Version)
        {
            // Already live: only make sure the deployment files say so (finishes an interrupted promotion).
            var livePlan = await PlanDeploymentAsync(info, cancellationToken);
            using var liveBundle = await StageBundleAsync(info, backbone, cancellationToken);
            var files = await WriteDeploymentAsync(livePlan, liveBundle, cancellationToken);
            return new PromotionResult
            {
                Candidate = request.Candidate,
                Decision = new GateDecision(true, false, [], $"{name} v{info.Version} is already production; nothing moved, deployment files checked."),
                Promoted = true, Forced = false, AlreadyProduction = true, PreviousProduction = current,
                Status = ProductionStatus, DeploymentFiles = files,
            };
        }

        var manifest = await _env.Datasets.GetManifestAsync(info.ManifestId, cancellationToken)
            ?? throw new SkillmakerException($"{name} v{info.Version} was trained on manifest {info.ManifestId[..12]}, which is not in {_env.Catalog.Location}; its test data is needed to compare.");
        var predictors = new List<SkillPredictor>();
        try
        {
            predictors.Add(SkillPredictor.Create(candidatePackage));
            string? incomparable = null;
            if (current is { } production)
            {
                var productionPredictor = SkillPredictor.Create(await _env.Skills.LoadAsync(new SkillRef(name, production), null, cancellationToken));
                try
                {
                    Evaluator.CheckClasses(productionPredictor, manifest);
                    predictors.Add(productionPredictor);
                }
                catch (SkillmakerException ex) when (request.Force)
                {
                    productionPredictor.Dispose();
                    incomparable = ex.Message;
                }
                catch
                {
                    productionPredictor.Dispose();
                    throw;
                }
            }
            var summaries = await _env.Evaluator.EvaluateAsync(predictors, manifest, progress, cancellationToken);
            foreach (var s in summaries) await _env.Registry.SaveEvaluationAsync(s, cancellationToken);
            var candidate = summaries[0];
            var productionEvaluation = summaries.Count > 1 ? summaries[1] : null;
            var decision = incomparable is null
                ? PromotionGate.Decide(candidate, productionEvaluation, info.Gate)
                : new GateDecision(false, false, [], $"Production v{current} cannot be measured on this test data ({incomparable}).");
            return await ApplyAsync(request, info, backbone, decision, current, candidate, productionEvaluation, cancellationToken);
        }
        finally
        {
            foreach (var p in predictors) p.Dispose();
        }
    }

    private async Task<PromotionResult> ApplyAsync(PromotionRequest request, SkillPackageInfo info, string backbone, GateDecision decision, int? previous, EvaluationSummary candidate, EvaluationSummary? production, CancellationToken cancellationToken)
    {
        var name = info.Name;
        var now = _env.Time.GetUtcNow();
        var forced = request.Force && !decision.Passed;
        if (forced)
            decision = decision with { Reason = $"{decision.Reason} Promoted anyway by {request.Who} (forced): {request.Reason}" };
        var decisionPath = await _env.Gates.SaveAsync(new RecordedDecision(info.Name, info.Version, now, request.Who, forced, request.Reason, decision), cancellationToken);
        var settings = TrainingEnvironment.NotifySettingsOf(info);

        if (!decision.Passed && !forced)
        {
            await _env.Registry.SetStatusAsync(new VersionStatus(name, info.Version, NeedsInvestigation, decision.Reason, request.Who, now), cancellationToken);
            LogRejected(name, info.Version, decision.Reason);
            var failed = await _env.NotifyAsync(settings, new Notification(NotificationEvent.PromotionFailed, name, info.Version,
                $"{name} v{info.Version} was not promoted", decision.Reason + Checks(decision)), cancellationToken);
            return new PromotionResult
            {
                Candidate = request.Candidate, Decision = decision, Promoted = false, Forced = false, AlreadyProduction = false,
                PreviousProduction = previous, CandidateEvaluation = candidate, ProductionEvaluation = production,
                Status = NeedsInvestigation, DecisionPath = decisionPath, Notifications = failed,
            };
        }

        // Everything that can fail without side effects happens before the alias moves.
        var plan = await PlanDeploymentAsync(info, cancellationToken);
        using var bundle = await StageBundleAsync(info, backbone, cancellationToken);
        var why = forced ? $"forced: {request.Reason} (gate: {decision.Reason})" : request.Reason is { Length: > 0 } r ? $"{r} (gate: {decision.Reason})" : decision.Reason;
        await _env.Registry.MoveAliasAsync(name, Aliases.Production, info.Version, request.Who, why, now, cancellationToken);
        await _env.Registry.SetStatusAsync(new VersionStatus(name, info.Version, ProductionStatus, why, request.Who, now), cancellationToken);
        var files = await WriteDeploymentAsync(plan, bundle, cancellationToken);
        LogPromoted(name, info.Version, previous, forced);
        var passed = await _env.NotifyAsync(settings, new Notification(NotificationEvent.PromotionPassed, name, info.Version,
            $"{name} v{info.Version} is now production{(forced ? " (forced)" : "")}", decision.Reason + Checks(decision)), cancellationToken);
        return new PromotionResult
        {
            Candidate = request.Candidate, Decision = decision, Promoted = true, Forced = forced, AlreadyProduction = false,
            PreviousProduction = previous, CandidateEvaluation = candidate, ProductionEvaluation = production,
            Status = ProductionStatus, DeploymentFiles = files, DecisionPath = decisionPath, Notifications = passed,
        };
    }

    /// <summary>Deployment files after the promotion: the promoted skill's Dockerfile, the compose file
    /// of every production skill, and the CloudFormation template with only this skill's tag changed.</summary>
    private async Task<IReadOnlyList<(string Path, string Content)>> PlanDeploymentAsync(SkillPackageInfo promoted, CancellationToken cancellationToken)
    {
        var skills = new List<DeployedSkill>();
        foreach (var name in await _env.Skills.NamesAsync(cancellationToken))
        {
            if (name == promoted.Name) continue;
            var version = await _env.Registry.GetAliasAsync(name, Aliases.Production, cancellationToken);
            if (version is { } v && (await _env.Skills.VersionsAsync(name, cancellationToken)).Contains(v))
                skills.Add(Deployed(await _env.Skills.ReadInfoAsync(new SkillRef(name, v), cancellationToken)));
        }
        var self = Deployed(promoted);
        skills.Add(self);
        var templatePath = Path.Combine(DeployDirectory, DeploymentConfig.TemplateFile);
        var template = File.Exists(templatePath) ? DeploymentConfig.WithSkill(File.ReadAllText(templatePath), self) : DeploymentConfig.CloudFormation(skills);
        return
        [
            (templatePath, template),
            (Path.Combine(DeployDirectory, DeploymentConfig.ComposeFile), DeploymentConfig.Compose(skills)),
            (Path.Combine(DeployDirectory, promoted.Name, "Dockerfile"), DeploymentConfig.Dockerfile(self)),
        ];
    }

    private static DeployedSkill Deployed(SkillPackageInfo info) => new() { Name = info.Name, Version = info.Version, CodeVersion = info.CodeVersion };

    /// <summary>The image contents of the promoted skill's service, staged beside deploy/NAME/workspace;
    /// null when this environment writes no bundles.</summary>
    private async Task<IStagedServingBundle?> StageBundleAsync(SkillPackageInfo info, string backbonePath, CancellationToken cancellationToken)
    {
        if (_env.ServingBundles is null) return null;
        var skill = new SkillRef(info.Name, info.Version);
        return await _env.ServingBundles.StageAsync(_env.Workspace, new ServingBundleRequest
        {
            Skill = info.Name, Version = info.Version, PackageDirectory = await _env.Skills.FindAsync(skill, cancellationToken),
            PackagePath = Path.GetRelativePath(_env.Workspace.StateDirectory, _env.Skills.PathOf(skill)), BackbonePath = backbonePath,
        }, Path.Combine(DeployDirectory, info.Name, DeploymentConfig.BundleDirectory), cancellationToken);
    }

    private static async Task<IReadOnlyList<string>> WriteDeploymentAsync(IReadOnlyList<(string Path, string Content)> plan, IStagedServingBundle? bundle, CancellationToken cancellationToken)
    {
        foreach (var (path, content) in plan)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            await AtomicFile.WriteAllTextAsync(path, content, cancellationToken);
        }
        bundle?.Commit();
        return [.. plan.Select(p => p.Path), .. bundle is null ? Array.Empty<string>() : [bundle.Directory]];
    }

    private static string Checks(GateDecision decision) =>
        decision.Checks.Count == 0 ? "" : "\n" + string.Join("\n", decision.Checks.Select(c => $"- {c.Name}: {(c.Passed ? "pass" : "FAIL")}, {c.Explanation}"));

    [LoggerMessage(Level = LogLevel.Information, Message = "{Skill} v{Version} promoted to production (was v{Previous}, forced: {Forced})")]
    private partial void LogPromoted(string skill, int version, int? previous, bool forced);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Skill} v{Version} not promoted: {Reason}")]
    private partial void LogRejected(string skill, int version, string reason);
}
