using Skillmaker.Common;
using Skillmaker.Datasets;
using Skillmaker.Evaluation;
using Skillmaker.Host;
using Skillmaker.Promotion;
using Skillmaker.Registry;
using Skillmaker.Server.Pages.Dashboard;
using Skillmaker.Skills;

namespace Skillmaker.Server;

/// <summary>What the dashboard changes: extracts and promotions, one at a time per server (a second click
/// waits for the first to finish and then finds the work done). The only places the pages call the
/// dataset and promotion services that write.</summary>
public sealed class DashboardActions : IDisposable
{
    private readonly SemaphoreSlim _one = new(1, 1);

    public void Dispose() => _one.Dispose();

    /// <summary>Extracts dataset <paramref name="name"/> again from the definition of its newest manifest, in this
    /// process (extract has no job kind yet). Throws naming the problem when the dataset is unknown or its
    /// definition no longer holds.</summary>
    public async Task<ExtractResult> ExtractAsync(LineServices line, string name, CancellationToken cancellationToken)
    {
        var store = line.DatasetStore;
        var latest = (await store.ListManifestsAsync(cancellationToken)).Where(m => m.Name == name).OrderBy(m => m.CreatedAt).LastOrDefault()
            ?? throw new SkillmakerException($"There is no dataset '{name}'; a dataset appears here after its first `skillmaker extract DEF.json`.");
        var manifest = await store.GetManifestAsync(latest.Id, cancellationToken)
            ?? throw new SkillmakerException($"Manifest {latest.Id[..12]} of {name} could not be read.");
        var definition = DatasetDefinitionLoader.Parse(manifest.DefinitionJson, $"The definition of dataset {name} (from manifest {manifest.Id[..12]})");
        await _one.WaitAsync(cancellationToken);
        try
        {
            return await line.Datasets().ExtractAsync(definition, manifest.TestFraction, cancellationToken);
        }
        finally
        {
            _one.Release();
        }
    }

    /// <summary>Why <paramref name="candidate"/> cannot be promoted at all (already production), or null.</summary>
    public static async Task<string?> NotACandidateAsync(LineServices line, VersionDetails candidate, CancellationToken cancellationToken)
    {
        var info = candidate.Info;
        return await line.Registry.GetAliasAsync(info.Name, Aliases.Production, cancellationToken) == info.Version
            ? $"{info.Name} v{info.Version} is already production; there is nothing to promote."
            : null;
    }

    /// <summary>The gate's dry run: candidate and production measured now, decided, nothing recorded, moved or sent.</summary>
    public async Task<PromoteView> DryRunAsync(LineServices line, VersionDetails candidate, string who, CancellationToken cancellationToken)
    {
        var info = candidate.Info;
        var production = await line.Registry.GetAliasAsync(info.Name, Aliases.Production, cancellationToken);
        if (await NotACandidateAsync(line, candidate, cancellationToken) is { } problem)
            return new PromoteView(candidate, production, null, null, problem);
        try
        {
            var result = await GateAsync(line, new PromotionRequest(new SkillRef(info.Name, info.Version), who, DryRun: true), cancellationToken);
            return new PromoteView(candidate, production, result.ProductionEvaluation, result.Decision, null);
        }
        catch (SkillmakerException ex)
        {
            return new PromoteView(candidate, production, null, null, ex.Message);
        }
    }

    /// <summary>Runs the promotion: the gate measures candidate and production again on this machine and
    /// moves the alias only when it passes (or is forced with a reason), with its notifications.</summary>
    public Task<PromotionResult> PromoteAsync(LineServices line, PromotionRequest request, CancellationToken cancellationToken) =>
        GateAsync(line, request with { DryRun = false }, cancellationToken);

    /// <summary>The one call of the promotion service, dry run or not, one at a time.</summary>
    private async Task<PromotionResult> GateAsync(LineServices line, PromotionRequest request, CancellationToken cancellationToken)
    {
        await _one.WaitAsync(cancellationToken);
        try
        {
            return await line.Promotion().PromoteAsync(request, progress: null, cancellationToken);
        }
        finally
        {
            _one.Release();
        }
    }
}
