using Microsoft.Extensions.Logging;
using Skillmaker.Common;
using Skillmaker.Evaluation;
using Skillmaker.Registry;
using Skillmaker.Reports;
using Skillmaker.Datasets;
using Skillmaker.Skills;
using Skillmaker.Vision.Skills;
using Skillmaker.Training;

namespace Skillmaker.Promotion;

/// <summary>What to promote. <paramref name="DryRun"/>: decide and report only (nothing recorded,
/// moved or sent). <paramref name="Alias"/>: production (gated, deployed) or staging (the challenger:
/// measured and recorded the same way, moved whatever the gate says, not deployed).</summary>
public sealed record PromotionRequest(SkillRef Candidate, string Who, bool Force = false, string? Reason = null, bool DryRun = false, string Alias = Aliases.Production);

public sealed record PromotionResult
{
    public required SkillRef Candidate { get; init; }
    public required GateDecision Decision { get; init; }
    /// <summary>The alias asked for now points at the candidate.</summary>
    public required bool Promoted { get; init; }
    /// <summary>Promoted by --force although the gate did not pass.</summary>
    public required bool Forced { get; init; }
    public required bool AlreadyProduction { get; init; }
    public bool DryRun { get; init; }
    public string Alias { get; init; } = Aliases.Production;
    public int? PreviousProduction { get; init; }
    public EvaluationSummary? CandidateEvaluation { get; init; }
    public EvaluationSummary? ProductionEvaluation { get; init; }
    /// <summary>"production", "staging", "needs investigation", "no change" or, for a dry run, "dry run".</summary>
    public required string Status { get; init; }
    public IReadOnlyList<string> DeploymentFiles { get; init; } = [];
    /// <summary>The SHA-256 of the deployment manifest published to the blob store (server mode), from which
    /// <c>skillmaker deploy fetch</c> writes the bundle on any machine; null when nothing was published.</summary>
    public string? DeploymentManifestSha256 { get; init; }
    /// <summary>The SHA-256 of the report PDF published to the blob store (server mode); null when not published.</summary>
    public string? ReportSha256 { get; init; }
    public string? DecisionPath { get; init; }
    /// <summary>The model report with this decision in it (beside the decision record).</summary>
    public string? ReportPath { get; init; }
    public IReadOnlyList<DeliveryResult> Notifications { get; init; } = [];
}

/// <summary>The gate between a trained version and production: candidate and current production are
/// evaluated now, on the candidate's test data, on this machine, interleaved, and compared item by item
/// (<see cref="PairedStatistics"/>, <see cref="PromotionGate"/>); the alias moves only when the paired
/// evidence passes (or a person forces it with a reason). Test items either version trained on are left
/// out or refuse, per <see cref="GateSettings.Leakage"/>. Nothing is half-done: deployment files are
/// computed before the alias moves, and a re-run of the same promotion finishes what an interrupted one left.</summary>
public sealed partial class PromotionService(TrainingEnvironment environment, EvaluationService evaluations)
{
    public const string NeedsInvestigation = "needs investigation";
    public const string ProductionStatus = "production";
    public const string StagingStatus = "staging";
    public const string NoChangeStatus = "no change";
    public const string DryRunStatus = "dry run";
    private readonly TrainingEnvironment _env = environment;
    private readonly ILogger _logger = environment.Logging.CreateLogger<PromotionService>();

    public string DeployDirectory => Path.Combine(_env.Workspace.Root, "deploy");
    public string DecisionsDirectory => _env.Gates.Directory;

    public async Task<PromotionResult> PromoteAsync(PromotionRequest request, IProgress<(int Done, int Total)>? progress, CancellationToken cancellationToken)
    {
        if (request.Force && string.IsNullOrWhiteSpace(request.Reason))
            throw new InvalidSettingException(null, "reason", "is required when a promotion is forced: a forced promotion is recorded with why");
        if (!Aliases.All.Contains(request.Alias))
            throw new InvalidSettingException(request.Alias, "alias", $"is not an alias; use one of: {string.Join(", ", Aliases.All)}");
        var name = request.Candidate.Name;
        var candidatePackage = await _env.Skills.LoadAsync(request.Candidate, null, cancellationToken);
        var info = candidatePackage.Info;
        ValidateGate(info);
        var backbone = candidatePackage.BackbonePath;
        var current = await _env.Registry.GetAliasAsync(name, Aliases.Production, cancellationToken);
        if (current == info.Version && request.Alias == Aliases.Production)
        {
            var already = new GateDecision(true, false, [], $"{name} v{info.Version} is already production; nothing moved" + (request.DryRun ? "." : ", deployment files checked."));
            if (request.DryRun)
                return new PromotionResult { Candidate = request.Candidate, Decision = already, Promoted = false, Forced = false, AlreadyProduction = true, DryRun = true, PreviousProduction = current, Status = DryRunStatus };
            // Already live: only make sure the deployment files say so (finishes an interrupted promotion).
            var livePlan = await PlanDeploymentAsync(info, cancellationToken);
            using var liveBundle = await StageBundleAsync(info, backbone, null, cancellationToken);
            var (files, published) = await WriteDeploymentAsync(info, livePlan, liveBundle, cancellationToken);
            return new PromotionResult
            {
                Candidate = request.Candidate, Decision = already, Promoted = true, Forced = false, AlreadyProduction = true, PreviousProduction = current,
                Status = ProductionStatus, DeploymentFiles = files, DeploymentManifestSha256 = published,
            };
        }

        var manifest = await _env.Datasets.GetManifestAsync(info.ManifestId, cancellationToken)
            ?? throw new SkillmakerException($"{name} v{info.Version} was trained on manifest {info.ManifestId[..12]}, which is not in {_env.Catalog.Location}; its test data is needed to compare.");
        var predictors = new List<SkillPredictor>();
        try
        {
            predictors.Add(SkillPredictor.Create(candidatePackage));
            string? incomparable = null;
            SkillPackageInfo? productionInfo = null;
            if (current is { } production)
            {
                var productionPredictor = SkillPredictor.Create(await _env.Skills.LoadAsync(new SkillRef(name, production), null, cancellationToken));
                try
                {
                    Evaluator.CheckClasses(productionPredictor, manifest);
                    predictors.Add(productionPredictor);
                    productionInfo = productionPredictor.Package.Info;
                }
                catch (SkillmakerException ex) when (request.Force || request.Alias == Aliases.Staging)
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
            var measured = await _env.Evaluator.MeasureAsync(predictors, manifest, progress, cancellationToken);
            if (!request.DryRun)
                foreach (var m in measured) await _env.Registry.SaveEvaluationAsync(m.Summary, cancellationToken);
            var candidate = measured[0];
            var productionMeasured = measured.Count > 1 ? measured[1] : null;
            GateDecision decision;
            if (incomparable is not null)
                decision = new GateDecision(false, false, [], $"Production v{current} cannot be measured on this test data ({incomparable}).");
            else if (productionMeasured is null)
                decision = PromotionGate.Decide(candidate.Summary, null, null, info.Gate);
            else
            {
                var leaked = await LeakedItemsAsync(manifest, productionInfo!, cancellationToken);
                if (leaked.Count > 0 && info.Gate.Leakage == LeakagePolicy.Refuse)
                    decision = new GateDecision(false, false, [], LeakageRefusal(leaked, productionInfo!));
                else
                {
                    var extra = new List<GateCheck>();
                    var (cascadeCheck, cascade) = await CascadeCheckAsync(info, productionInfo!.Version, cancellationToken);
                    if (cascadeCheck is not null) extra.Add(cascadeCheck);
                    var shadow = await ShadowAsync(info, productionInfo.Version, cancellationToken);
                    if (shadow is not null && (shadow.Answers > 0 || info.Gate.ShadowMinAnswers is not null || info.Gate.ShadowMinAgreement is not null))
                        extra.Add(PromotionGate.ShadowCheck(shadow, info.Gate));
                    decision = PromotionGate.Decide(candidate.Summary, productionMeasured.Summary,
                        PairedStatistics.Compare(candidate.Predictions, candidate.Labels, productionMeasured.Predictions, productionMeasured.Labels,
                            leaked.Select(l => l.ImageId).ToHashSet(StringComparer.Ordinal), info.Gate.Confidence, SeedOf(info, productionInfo)), info.Gate, extra)
                        with { Cascade = cascade, Shadow = shadow };
                }
            }
            if (request.DryRun)
                return new PromotionResult
                {
                    Candidate = request.Candidate, Decision = decision, Promoted = false, Forced = false, AlreadyProduction = false, DryRun = true,
                    Alias = request.Alias, PreviousProduction = current, CandidateEvaluation = candidate.Summary,
                    ProductionEvaluation = productionMeasured?.Summary, Status = DryRunStatus,
                };
            return await ApplyAsync(request, candidatePackage, predictors[0], backbone, decision, current, candidate.Summary, productionMeasured?.Summary, manifest, cancellationToken);
        }
        finally
        {
            foreach (var p in predictors) p.Dispose();
        }
    }

    /// <summary>When the skill is in the workspace's cascade: the cascade run on its evaluation set with the
    /// candidate swapped in and as production serves it, interleaved photo by photo, compared paired. No check
    /// when the skill is not in the cascade; a visible skipped check when it is but the comparison cannot run.
    /// A broken serving config or evaluation set throws (naming the field): nothing has moved yet.</summary>
    private async Task<(GateCheck? Check, CascadeComparison? Comparison)> CascadeCheckAsync(SkillPackageInfo info, int production, CancellationToken cancellationToken)
    {
        if (_env.ServingConfigPath is not { } path || !File.Exists(path)) return (null, null);
        var config = Serving.ServingConfig.Load(path);
        if (!config.Skills.Contains(info.Name, StringComparer.Ordinal)) return (null, null);
        if (info.Gate.Cascade == CascadeRule.Ignore) return (PromotionGate.Skipped("cascade", "gate.cascade is ignore"), null);
        if (config.Evaluation is not { } set)
            return (PromotionGate.Skipped("cascade", $"no cascade evaluation set ({info.Name} is in the cascade of {path}, which names no \"evaluation\": {{\"dataset\": DEF.json}} or {{\"photos\": DIR}})"), null);
        if (_env.CascadeHarness is not { } harness) return (PromotionGate.Skipped("cascade", "the cascade cannot run on this machine (no detector here)"), null);
        var unserved = new List<string>();
        foreach (var other in config.Skills.Where(k => k != info.Name))
            if (await _env.Registry.GetAliasAsync(other, Aliases.Production, cancellationToken) is null) unserved.Add(other);
        if (unserved.Count > 0)
            return (PromotionGate.Skipped("cascade", $"cascade skill(s) {string.Join(", ", unserved)} have no production version yet, so the cascade cannot run as served"), null);

        var pinned = new Dictionary<string, int>(StringComparer.Ordinal) { [info.Name] = info.Version };
        var evaluator = await evaluations.CascadeEvaluatorAsync(config, cancellationToken, pinned);
        var folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
        CascadePhotoSet photos;
        if (set.Dataset is { } dataset)
        {
            var definition = await DatasetDefinitionLoader.LoadAsync(Path.GetFullPath(dataset, folder), cancellationToken);
            photos = await evaluations.CascadeTestSetAsync(definition, config, evaluator, set.ExcludeLeaked, cancellationToken, pinned);
        }
        else photos = new CascadePhotoSet($"photos {set.Photos}", CascadeEvaluator.FromFolder(Path.GetFullPath(set.Photos!, folder)), []);

        var cascade = await harness(path, cancellationToken);
        using var productionStack = await cascade.OpenAsync(null, cancellationToken);
        using var candidateStack = await cascade.OpenAsync(pinned, cancellationToken);
        var run = await evaluator.EvaluateManyAsync(photos.Photos, [("candidate", candidateStack.ClassifyAsync), ("production", productionStack.ClassifyAsync)],
            null, _env.ReadImageAsync, cancellationToken);
        var comparison = CascadeEvaluator.Compare(info.Name, info.Version, production, photos.Description,
            run[0] with { Set = photos.Description, Excluded = photos.Excluded }, run[1] with { Set = photos.Description, Excluded = photos.Excluded }, info.Gate.Confidence);
        return (PromotionGate.CascadeCheck(comparison, info.Gate), comparison);
    }

    /// <summary>The candidate's shadow answers beside <paramref name="production"/>, when the workspace keeps them.</summary>
    private async Task<ShadowAgreement?> ShadowAsync(SkillPackageInfo info, int production, CancellationToken cancellationToken) =>
        _env.Shadow is { } store ? await store.GetAsync(info.Name, info.Version, production, cancellationToken) : null;

    /// <summary>Test items of the candidate's manifest that either version has in effect seen in training
    /// (<see cref="LeakageCheck"/>: the same image or photo, a near-duplicate, the same set as the catalog
    /// knows them now), so production could be scored on what it memorised. Production's training
    /// manifest being gone is logged: its items cannot be checked.</summary>
    private async Task<IReadOnlyList<LeakedItem>> LeakedItemsAsync(DatasetManifest manifest, SkillPackageInfo production, CancellationToken cancellationToken)
    {
        var trainings = new List<DatasetManifest> { manifest };
        if (production.ManifestId != manifest.Id)
        {
            if (await _env.Datasets.GetManifestAsync(production.ManifestId, cancellationToken) is { } trainedOn) trainings.Add(trainedOn);
            else LogLeakageUnchecked(production.Name, production.Version, production.ManifestId[..12]);
        }
        var leaked = await new LeakageCheck(_env.Datasets).CheckAsync(trainings, [.. manifest.Items.Where(i => i.Split == Split.Test)], cancellationToken);
        return [.. leaked.OrderBy(l => l.ImageId, StringComparer.Ordinal)];
    }

    private static string LeakageRefusal(IReadOnlyList<LeakedItem> leaked, SkillPackageInfo production) =>
        $"{leaked.Count} test item(s) were in effect in the training data of production v{production.Version} or of this version, so a version would be scored on what it trained on: " +
        string.Join("; ", leaked.Take(10).Select(l => $"{l.ImageId[..Math.Min(12, l.ImageId.Length)]} ({l.Reason})")) + (leaked.Count > 10 ? "; …" : "") +
        ". gate.leakage is refuse; extract a manifest whose test split neither version trained on, or set gate.leakage to exclude.";

    /// <summary>The bootstrap's seed: fixed by what is compared, so the same promotion gives the same figures.</summary>
    private static int SeedOf(SkillPackageInfo candidate, SkillPackageInfo production) =>
        BitConverter.ToInt32(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(
            $"{candidate.Name}|{candidate.Version}|{candidate.ManifestId}|{production.Version}|{production.ManifestId}")), 0) & int.MaxValue;

    /// <summary>A gate rule naming a class the skill does not have is a config mistake, not a pass.</summary>
    private static void ValidateGate(SkillPackageInfo info)
    {
        var unknown = info.Gate.ProtectedClasses.Where(c => !info.Labels.Contains(c)).ToList();
        if (unknown.Count > 0)
            throw new InvalidSettingException(string.Join(", ", unknown), "gate.protectedClasses",
                $"names class(es) {info.Name} v{info.Version} does not have; its classes: {string.Join(", ", info.Labels)}");
        if (info.Gate.Confidence is <= 0 or >= 1)
            throw new InvalidSettingException(info.Gate.Confidence.ToString(System.Globalization.CultureInfo.InvariantCulture), "gate.confidence", "must be strictly between 0 and 1 (e.g. 0.95)");
    }

    private async Task<PromotionResult> ApplyAsync(PromotionRequest request, SkillPackage package, SkillPredictor predictor, string backbone, GateDecision decision, int? previous,
        EvaluationSummary candidate, EvaluationSummary? production, DatasetManifest manifest, CancellationToken cancellationToken)
    {
        var info = package.Info;
        var name = info.Name;
        var now = _env.Time.GetUtcNow();
        var staging = request.Alias == Aliases.Staging;
        var forced = request.Force && !decision.Passed && !staging;
        if (forced)
            decision = decision with { Reason = $"{decision.Reason} Promoted anyway by {request.Who} (forced): {request.Reason}", Forced = true };
        var record = new RecordedDecision(info.Name, info.Version, now, request.Who, forced, request.Reason, decision);
        // The record is saved once the registry says what happened (below): a failed alias move leaves no
        // decision that claims a promotion.
        var decisionPath = _env.Gates.PathOf(record);
        Directory.CreateDirectory(Path.GetDirectoryName(decisionPath)!);
        // The report a person reads next to this decision says what was decided, not "not through the gate yet".
        var reportPath = Path.ChangeExtension(decisionPath, ".pdf");
        await ReportBuilder.WritePdfAsync(await _env.Reports.BuildAsync(predictor, package.ReadEvaluation() ?? candidate, manifest, decision, cancellationToken), reportPath, cancellationToken);
        var settings = TrainingEnvironment.NotifySettingsOf(info);
        var result = new PromotionResult
        {
            Candidate = request.Candidate, Decision = decision, Promoted = false, Forced = forced, AlreadyProduction = false, Alias = request.Alias,
            PreviousProduction = previous, CandidateEvaluation = candidate, ProductionEvaluation = production,
            Status = NeedsInvestigation, DecisionPath = decisionPath, ReportPath = reportPath,
        };

        if (staging)
        {
            var stagedWhy = $"staged as challenger by {request.Who}" + (request.Reason is { Length: > 0 } sr ? $": {sr}" : "") + $" (gate against production: {decision.Outcome})";
            await _env.Registry.MoveAliasAsync(name, Aliases.Staging, info.Version, request.Who, stagedWhy, now, cancellationToken);
            await _env.Registry.SetStatusAsync(new VersionStatus(name, info.Version, StagingStatus, stagedWhy, request.Who, now), cancellationToken);
            result = await SaveDecisionAsync(record, result, cancellationToken);
            return result with { Promoted = true, Status = StagingStatus };
        }
        if (decision.Outcome == GateDecision.NoChangeOutcome && !forced)
        {
            LogNoChange(name, info.Version);
            result = await SaveDecisionAsync(record, result, cancellationToken);
            return result with { Status = NoChangeStatus };
        }
        if (!decision.Passed && !forced)
        {
            await _env.Registry.SetStatusAsync(new VersionStatus(name, info.Version, NeedsInvestigation, decision.Reason, request.Who, now), cancellationToken);
            result = await SaveDecisionAsync(record, result, cancellationToken);
            LogRejected(name, info.Version, decision.Reason);
            var failed = await _env.NotifyAsync(settings, new Notification(NotificationEvent.PromotionFailed, name, info.Version,
                $"{name} v{info.Version} was not promoted", decision.Reason + Checks(decision)) { AttachmentPath = reportPath }, cancellationToken);
            return result with { Notifications = failed };
        }

        // Everything that can fail without side effects happens before the alias moves.
        var plan = await PlanDeploymentAsync(info, cancellationToken);
        using var bundle = await StageBundleAsync(info, backbone, reportPath, cancellationToken);
        var why = forced ? $"forced: {request.Reason} (gate: {decision.Reason})" : request.Reason is { Length: > 0 } r ? $"{r} (gate: {decision.Reason})" : decision.Reason;
        await _env.Registry.MoveAliasAsync(name, Aliases.Production, info.Version, request.Who, why, now, cancellationToken);
        await _env.Registry.SetStatusAsync(new VersionStatus(name, info.Version, ProductionStatus, why, request.Who, now), cancellationToken);
        result = await SaveDecisionAsync(record, result, cancellationToken);
        var (files, deployment) = await WriteDeploymentAsync(info, plan, bundle, cancellationToken);
        LogPromoted(name, info.Version, previous, forced);
        var passed = await _env.NotifyAsync(settings, new Notification(NotificationEvent.PromotionPassed, name, info.Version,
            $"{name} v{info.Version} is now production{(forced ? " (forced)" : "")}", decision.Reason + Checks(decision)) { AttachmentPath = reportPath }, cancellationToken);
        return result with { Promoted = true, Status = ProductionStatus, DeploymentFiles = files, DeploymentManifestSha256 = deployment, Notifications = passed };
    }

    /// <summary>Saves the gate decision and, in a shared workspace, publishes the report written with it.</summary>
    private async Task<PromotionResult> SaveDecisionAsync(RecordedDecision record, PromotionResult result, CancellationToken cancellationToken)
    {
        await _env.Gates.SaveAsync(record, cancellationToken);
        if (_env.Artefacts is not { } artefacts || result.ReportPath is not { } report) return result;
        var published = await new PublishedReports(artefacts).PublishAsync(new SkillRef(record.Skill, record.Version), report, cancellationToken);
        return result with { ReportSha256 = published.Sha256 };
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
    private async Task<IStagedServingBundle?> StageBundleAsync(SkillPackageInfo info, string backbonePath, string? reportPath, CancellationToken cancellationToken)
    {
        if (_env.ServingBundles is null) return null;
        var skill = new SkillRef(info.Name, info.Version);
        return await _env.ServingBundles.StageAsync(_env.Workspace, new ServingBundleRequest
        {
            Skill = info.Name, Version = info.Version, PackageDirectory = await _env.Skills.FindAsync(skill, cancellationToken),
            PackagePath = Path.GetRelativePath(_env.Workspace.StateDirectory, _env.Skills.PathOf(skill)), BackbonePath = backbonePath, ReportPath = reportPath,
        }, Path.Combine(DeployDirectory, info.Name, DeploymentConfig.BundleDirectory), cancellationToken);
    }

    /// <summary>Writes the deployment files and swaps the bundle in; in a shared workspace also publishes
    /// them to the blob store (see <see cref="DeploymentBundles"/>), returning the manifest's SHA-256.</summary>
    private async Task<(IReadOnlyList<string> Files, string? Published)> WriteDeploymentAsync(SkillPackageInfo info, IReadOnlyList<(string Path, string Content)> plan, IStagedServingBundle? bundle, CancellationToken cancellationToken)
    {
        foreach (var (path, content) in plan)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            await AtomicFile.WriteAllTextAsync(path, content, cancellationToken);
        }
        bundle?.Commit();
        IReadOnlyList<string> files = [.. plan.Select(p => p.Path), .. bundle is null ? Array.Empty<string>() : [bundle.Directory]];
        if (_env.Artefacts is not { } artefacts) return (files, null);
        var (record, _) = await new DeploymentBundles(artefacts).PublishAsync(new SkillRef(info.Name, info.Version), DeployDirectory, files, cancellationToken);
        return (files, record.Sha256);
    }

    private static string Checks(GateDecision decision) =>
        decision.Checks.Count == 0 ? "" : "\n" + string.Join("\n", decision.Checks.Select(c => c.Skipped ? $"- {c.Name}: {c.Explanation}" : $"- {c.Name}: {(c.Passed ? "pass" : "FAIL")}, {c.Explanation}"));

    [LoggerMessage(Level = LogLevel.Information, Message = "{Skill} v{Version} promoted to production (was v{Previous}, forced: {Forced})")]
    private partial void LogPromoted(string skill, int version, int? previous, bool forced);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Skill} v{Version} answers exactly as production; production stays (gate.onNoChange hold)")]
    private partial void LogNoChange(string skill, int version);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Production {Skill} v{Version} was trained on manifest {Manifest}, which is not in the catalog: its test items could not be checked for leakage")]
    private partial void LogLeakageUnchecked(string skill, int version, string manifest);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Skill} v{Version} not promoted: {Reason}")]
    private partial void LogRejected(string skill, int version, string reason);
}
