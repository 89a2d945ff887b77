using System.Globalization;
using System.Text.Json;
using Skillmaker.Common;
using Skillmaker.Reports;
using Skillmaker.Skills;
using Skillmaker.Vision.Skills;
using Skillmaker.Training;

namespace Skillmaker.Evaluation;

/// <summary>A version that trained on <see cref="Images"/>, which are test items of <see cref="TestIn"/> manifests now.</summary>
public sealed record AffectedVersion(string Skill, int Version, string TrainedOn, IReadOnlyList<string> Images, IReadOnlyList<string> TestIn);

/// <summary>An evaluation that was recorded in the registry and saved as JSON at <see cref="Path"/>.</summary>
public sealed record RecordedEvaluation(EvaluationSummary Summary, string Path);

/// <summary>An evaluation on an external test set: the recorded result and the items left out as leaked.</summary>
public sealed record ExternalEvaluation(RecordedEvaluation Recorded, string ManifestId, IReadOnlyList<LeakedItem> Leaked);

/// <summary>Measuring a trained skill version on a manifest's test split and writing its model report:
/// what <c>eval</c>, <c>report</c> and <c>demo</c> share.</summary>
public sealed class EvaluationService(TrainingEnvironment environment)
{
    private readonly TrainingEnvironment _env = environment;

    public TrainingEnvironment Environment => _env;

    /// <summary>Folder of saved evaluations: <c>.skillmaker/evaluations/NAME/</c>.</summary>
    public string EvaluationsDirectory(string skill) => Path.Combine(_env.Workspace.StateDirectory, "evaluations", skill);

    /// <summary>Evaluates <paramref name="skill"/> on this machine on the test split of
    /// <paramref name="manifestId"/> (default: the manifest it was trained on), records the result in
    /// the registry and saves it as JSON.</summary>
    public async Task<RecordedEvaluation> EvaluateAsync(SkillRef skill, string? manifestId, IProgress<(int Done, int Total)>? progress, CancellationToken cancellationToken) =>
        await RecordAsync(await MeasureAsync(skill, manifestId, progress, cancellationToken), cancellationToken);

    /// <summary>The full id of the manifest <paramref name="skill"/> is evaluated on: <paramref name="manifestId"/>
    /// (an id or prefix) when given, else the one it was trained on. Throws naming what is missing.</summary>
    public async Task<string> ManifestIdForAsync(SkillRef skill, string? manifestId, CancellationToken cancellationToken)
    {
        var id = manifestId ?? (await _env.Skills.ReadInfoAsync(skill, cancellationToken)).ManifestId;
        return (await ManifestAsync(id, cancellationToken)).Id;
    }

    /// <summary>Evaluates <paramref name="skill"/> on this machine without recording anything.</summary>
    public async Task<EvaluationSummary> MeasureAsync(SkillRef skill, string? manifestId, IProgress<(int Done, int Total)>? progress, CancellationToken cancellationToken)
    {
        using var predictor = SkillPredictor.Create(await _env.Skills.LoadAsync(skill, null, cancellationToken));
        var manifest = await ManifestAsync(manifestId ?? predictor.Package.Info.ManifestId, cancellationToken);
        return (await _env.Evaluator.EvaluateAsync([predictor], manifest, progress, cancellationToken))[0];
    }

    /// <summary>Evaluates <paramref name="skill"/> on an external labelled test set (a definition with role
    /// test), with the same metrics as the internal split, and records it. Refuses classes the skill does not
    /// know (naming what is missing on each side) and items that leak from its training data (the same image or
    /// photo, a near-duplicate, the same set), unless <paramref name="excludeLeaked"/>, which evaluates on the
    /// rest and reports them.</summary>
    public async Task<ExternalEvaluation> EvaluateOnTestSetAsync(SkillRef skill, Datasets.DatasetDefinition definition, bool excludeLeaked,
        IProgress<(int Done, int Total)>? progress, CancellationToken cancellationToken)
    {
        if (definition.Role != Datasets.DatasetRole.Test)
            throw new InvalidSettingException($"Dataset definition {definition.Name}", "role",
                "is train; an external test set needs \"role\": \"test\" (every item test, sticky), so that no later manifest trains on it");
        using var predictor = SkillPredictor.Create(await _env.Skills.LoadAsync(skill, null, cancellationToken));
        var labels = predictor.Package.Labels;
        var extracted = await _env.Extractor.ExtractAsync(definition, null, cancellationToken);
        var manifest = extracted.Manifest;
        var unknown = manifest.Classes.Where(c => !labels.Contains(c)).ToList();
        if (unknown.Count > 0)
        {
            var untested = labels.Where(l => !manifest.Classes.Contains(l)).ToList();
            throw new SkillmakerException(
                $"Test set {definition.Name} does not match {skill}: classes missing from the skill: {string.Join(", ", unknown)}; " +
                $"classes of the skill missing from the test set: {(untested.Count == 0 ? "none" : string.Join(", ", untested))}. " +
                "Map the test set's labels to the skill's classes in its definition (classes) or leave those labels out.");
        }
        var training = await _env.Datasets.GetManifestAsync(predictor.Package.Info.ManifestId, cancellationToken)
            ?? throw new SkillmakerException($"Manifest {predictor.Package.Info.ManifestId[..12]} that {skill} was trained on is not in {_env.Catalog.Location}; its leakage cannot be checked.");
        var leaked = await new LeakageCheck(_env.Datasets).CheckAsync(training, manifest.Items, cancellationToken);
        if (leaked.Count > 0 && !excludeLeaked)
            throw new InvalidSettingException(null, "excludeLeaked",
                $"{leaked.Count} of {manifest.Items.Count} test item(s) leak from {skill}'s training data: " +
                string.Join("; ", leaked.Take(10).Select(l => $"{l.ImageId[..12]} ({l.Reason})")) + (leaked.Count > 10 ? "; ..." : "") +
                "; evaluate on the rest with it, or remove them from the test set");
        var leakedIds = leaked.Select(l => l.ImageId).ToHashSet(StringComparer.Ordinal);
        var clean = manifest with { Items = [.. manifest.Items.Where(i => !leakedIds.Contains(i.ImageId))] };
        if (clean.Items.Count == 0) throw new SkillmakerException($"Every item of test set {definition.Name} leaks from {skill}'s training data; nothing left to evaluate.");
        var summary = (await _env.Evaluator.EvaluateAsync([predictor], clean, progress, cancellationToken))[0];
        return new ExternalEvaluation(await RecordAsync(summary, cancellationToken), manifest.Id, leaked);
    }

    private async Task<Datasets.DatasetManifest> ManifestAsync(string id, CancellationToken cancellationToken) =>
        await _env.Datasets.GetManifestAsync(id, cancellationToken)
            ?? throw new SkillmakerException($"No manifest with id {id} in {_env.Catalog.Location}; see `skillmaker manifests list`.");

    /// <summary>Records an evaluation in the registry (once, however often it is recorded) and saves it as JSON.</summary>
    public async Task<RecordedEvaluation> RecordAsync(EvaluationSummary summary, CancellationToken cancellationToken)
    {
        await _env.Registry.SaveEvaluationAsync(summary, cancellationToken);
        var folder = EvaluationsDirectory(summary.Skill);
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, string.Create(CultureInfo.InvariantCulture, $"v{summary.Version}-{summary.ManifestId[..12]}-{summary.EvaluatedAt.UtcDateTime:yyyyMMdd'T'HHmmssfff}.json"));
        await AtomicFile.WriteAllTextAsync(path, JsonSerializer.Serialize(summary, SkillJson.Options), cancellationToken);
        return new RecordedEvaluation(summary, path);
    }

    /// <summary>Skill versions that trained on photos which are test items of some manifest now (their set
    /// joined a test set, so it moved to test): evaluated on those manifests they are scored on what
    /// they trained on. <c>promote</c> leaves such items out; this lists them for <c>splits audit</c>.</summary>
    public async Task<IReadOnlyList<AffectedVersion>> VersionsTrainedOnTestItemsAsync(CancellationToken cancellationToken)
    {
        var manifests = await _env.Datasets.GetAllManifestsAsync(cancellationToken);
        var test = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var m in manifests)
            foreach (var item in m.Items.Where(i => i.Split == Datasets.Split.Test))
                test.TryAdd(item.ImageId, m.Id);
        var byId = manifests.ToDictionary(m => m.Id, StringComparer.Ordinal);
        var affected = new List<AffectedVersion>();
        foreach (var name in await _env.Skills.NamesAsync(cancellationToken))
            foreach (var version in await _env.Skills.VersionsAsync(name, cancellationToken))
            {
                var info = await _env.Skills.ReadInfoAsync(new SkillRef(name, version), cancellationToken);
                if (!byId.TryGetValue(info.ManifestId, out var trainedOn)) continue;
                var seen = trainedOn.Items.Where(i => i.Split == Datasets.Split.Train && test.ContainsKey(i.ImageId)).Select(i => i.ImageId).Order(StringComparer.Ordinal).ToList();
                if (seen.Count > 0)
                    affected.Add(new AffectedVersion(name, version, info.ManifestId, seen, [.. seen.Select(i => test[i]).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)]));
            }
        return affected;
    }

    /// <summary>Folder of saved cascade evaluations: <c>.skillmaker/cascade-evaluations/</c> (its own, so a
    /// skill may be named anything, "cascade" included).</summary>
    public string CascadeEvaluationsDirectory => Path.Combine(_env.Workspace.StateDirectory, "cascade-evaluations");

    /// <summary>Saves a cascade evaluation as JSON under <see cref="CascadeEvaluationsDirectory"/>, named by
    /// when it ran, so the harness's results can be compared over time; returns the path.</summary>
    public async Task<string> RecordCascadeAsync(CascadeEvaluation evaluation, CancellationToken cancellationToken)
    {
        var folder = CascadeEvaluationsDirectory;
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, string.Create(CultureInfo.InvariantCulture, $"{_env.Time.GetUtcNow().UtcDateTime:yyyyMMdd'T'HHmmssfff}.json"));
        await AtomicFile.WriteAllTextAsync(path, JsonSerializer.Serialize(evaluation, SkillJson.Options), cancellationToken);
        return path;
    }

    /// <summary>A cascade evaluator for <paramref name="config"/>: each stage's truth for a photo label is
    /// the class of its version's dataset definition that holds that label, or the label itself when the
    /// skill has a class of that name. The version is production's unless <paramref name="pinned"/> names
    /// another (a candidate swapped in).</summary>
    public async Task<CascadeEvaluator> CascadeEvaluatorAsync(Serving.ServingConfig config, CancellationToken cancellationToken,
        IReadOnlyDictionary<string, int>? pinned = null)
    {
        var truth = new Dictionary<string, Func<string, string?>>(StringComparer.Ordinal);
        foreach (var skill in config.Skills)
        {
            var info = await _env.Skills.ReadInfoAsync(new SkillRef(skill, await CascadeVersionAsync(skill, pinned, cancellationToken)), cancellationToken);
            var manifest = await ManifestAsync(info.ManifestId, cancellationToken);
            var definition = Datasets.DatasetDefinitionLoader.Parse(manifest.DefinitionJson, $"the definition of {skill} v{info.Version}");
            var labels = info.Labels.ToHashSet(StringComparer.Ordinal);
            var byLabel = definition.Classes.SelectMany(c => c.Labels.Select(l => (Label: l, Class: c.Name)))
                .GroupBy(p => p.Label, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First().Class, StringComparer.Ordinal);
            truth[skill] = label => byLabel.TryGetValue(label, out var c) ? c : labels.Contains(label) ? label : null;
        }
        return new CascadeEvaluator(config, truth);
    }

    private async Task<int> CascadeVersionAsync(string skill, IReadOnlyDictionary<string, int>? pinned, CancellationToken cancellationToken) =>
        pinned?.GetValueOrDefault(skill) is { } v and > 0 ? v
            : await _env.Registry.GetAliasAsync(skill, Registry.Aliases.Production, cancellationToken)
              ?? throw new InvalidSettingException(skill, "cascade", $"names skill '{skill}', which has no production version; promote one first (`skillmaker promote {skill}@VERSION`)");

    /// <summary>The photos of a labelled test set (a definition with role test), each labelled with its item's
    /// class: for crops, the photo they were cut from (the cascade finds the vehicle itself). Refuses a definition
    /// that is not a test set, classes the cascade's first stage cannot score (naming them and what it knows),
    /// and photos a cascade skill (the version that would answer) trained on, unless <paramref name="excludeLeaked"/>,
    /// which leaves them out and lists them.</summary>
    public async Task<CascadePhotoSet> CascadeTestSetAsync(Datasets.DatasetDefinition definition, Serving.ServingConfig config, CascadeEvaluator evaluator,
        bool excludeLeaked, CancellationToken cancellationToken, IReadOnlyDictionary<string, int>? pinned = null)
    {
        if (definition.Role != Datasets.DatasetRole.Test)
            throw new InvalidSettingException($"Dataset definition {definition.Name}", "role",
                "is train; a cascade test set needs \"role\": \"test\" (every item test, sticky), so that no later manifest trains on it");
        var manifest = (await _env.Extractor.ExtractAsync(definition, null, cancellationToken)).Manifest;
        var unscorable = evaluator.Unscorable(manifest.Classes);
        if (unscorable.Count > 0)
        {
            var root = config.Cascade!.Skill;
            var info = await _env.Skills.ReadInfoAsync(new SkillRef(root, await CascadeVersionAsync(root, pinned, cancellationToken)), cancellationToken);
            throw new InvalidSettingException($"Dataset definition {definition.Name}", "classes",
                $"has class(es) the cascade's first stage {root} v{info.Version} cannot score: {string.Join(", ", unscorable)}; it knows the classes {string.Join(", ", info.Labels)} " +
                "and the labels its definition maps to them. Name the test set's classes after labels the cascade's skills were trained on (or map them in classes)");
        }
        var trainings = new List<Datasets.DatasetManifest>();
        foreach (var skill in config.Skills)
        {
            var info = await _env.Skills.ReadInfoAsync(new SkillRef(skill, await CascadeVersionAsync(skill, pinned, cancellationToken)), cancellationToken);
            trainings.Add(await ManifestAsync(info.ManifestId, cancellationToken));
        }
        var leaked = await new LeakageCheck(_env.Datasets).CheckAsync(trainings, manifest.Items, cancellationToken);
        var leakedPhotos = leaked.Select(l => PhotoOf(manifest, l.ImageId)).ToHashSet(StringComparer.Ordinal);
        if (leaked.Count > 0 && !excludeLeaked)
            throw new InvalidSettingException(null, "excludeLeaked",
                $"{leakedPhotos.Count} of {manifest.Items.Select(i => i.ParentId ?? i.ImageId).Distinct(StringComparer.Ordinal).Count()} photo(s) of test set {definition.Name} leak from the training data of the cascade's skills ({string.Join(", ", config.Skills)}): " +
                string.Join("; ", leaked.Take(10).Select(l => $"{l.ImageId[..12]} ({l.Reason})")) + (leaked.Count > 10 ? "; ..." : "") +
                "; evaluate on the rest with it, or remove them from the test set");
        var photos = new List<LabelledPhoto>();
        var ambiguous = new List<string>();
        foreach (var photo in manifest.Items.GroupBy(i => i.ParentId ?? i.ImageId, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            if (leakedPhotos.Contains(photo.Key)) continue;
            var classes = photo.Select(i => i.Class).Distinct(StringComparer.Ordinal).ToList();
            // Crops of one photo with different classes: the cascade answers for one vehicle, so the photo has no single truth.
            if (classes.Count > 1) ambiguous.Add($"{photo.Key[..12]}: crops labelled {string.Join(" and ", classes)}");
            else photos.Add(new LabelledPhoto(photo.Key, classes[0], photo.Key));
        }
        var excluded = leaked.Select(l => $"{l.ImageId[..12]}: {l.Reason}").Concat(ambiguous).ToList();
        if (photos.Count == 0)
            throw new SkillmakerException($"Test set {definition.Name} has no photo left to evaluate the cascade on ({excluded.Count} left out: {string.Join("; ", excluded.Take(5))}).");
        return new CascadePhotoSet($"dataset {definition.Name} (manifest {manifest.Id[..12]})", photos, excluded);
    }

    private static string PhotoOf(Datasets.DatasetManifest manifest, string imageId) =>
        manifest.Items.FirstOrDefault(i => i.ImageId == imageId)?.ParentId ?? imageId;

    /// <summary>Writes the model report PDF of <paramref name="skill"/> to <paramref name="path"/>: its
    /// evaluation from the package, the data it was trained on, failures with where the model looked,
    /// and the latest gate decision when it has been through <c>promote</c>.</summary>
    public async Task<ModelReport> WriteReportAsync(SkillRef skill, string path, CancellationToken cancellationToken)
    {
        using var predictor = SkillPredictor.Create(await _env.Skills.LoadAsync(skill, null, cancellationToken));
        var evaluation = predictor.Package.ReadEvaluation()
            ?? throw new SkillmakerException($"{skill} has no {SkillPackageInfo.EvaluationFileName}; the package is incomplete.");
        var manifest = await _env.Datasets.GetManifestAsync(evaluation.ManifestId, cancellationToken)
            ?? throw new SkillmakerException($"Manifest {evaluation.ManifestId[..12]} of {skill} is not in {_env.Catalog.Location}.");
        var gate = await _env.Gates.LatestAsync(skill, cancellationToken);
        var builder = _env.Reports;
        var report = await builder.BuildAsync(predictor, evaluation, manifest, gate, cancellationToken);
        if (Path.GetDirectoryName(Path.GetFullPath(path)) is { } folder) Directory.CreateDirectory(folder);
        await ReportBuilder.WritePdfAsync(report, path, cancellationToken);
        return report;
    }

    /// <summary><see cref="WriteReportAsync"/>, then in a shared workspace the PDF is published to the blob
    /// store (<see cref="PublishedReports"/>), so any machine can fetch it; the record is null otherwise.</summary>
    public async Task<(ModelReport Report, Blobs.ArtefactRecord? Published)> WriteAndPublishReportAsync(SkillRef skill, string path, CancellationToken cancellationToken)
    {
        var report = await WriteReportAsync(skill, path, cancellationToken);
        return (report, _env.Artefacts is { } artefacts ? await new PublishedReports(artefacts).PublishAsync(skill, path, cancellationToken) : null);
    }

    /// <summary>The reports published to the blob store; null for a one-machine workspace.</summary>
    public PublishedReports? PublishedReports => _env.Artefacts is { } artefacts ? new PublishedReports(artefacts) : null;
}
