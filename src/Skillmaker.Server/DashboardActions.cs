using Skillmaker.Common;
using Skillmaker.Evaluation;
using Skillmaker.Host;
using Skillmaker.Promotion;
using Skillmaker.Registry;
using Skillmaker.Server.Pages.Dashboard;
using Skillmaker.Skills;

namespace Skillmaker.Server;

/// <summary>What the dashboard changes in this process: promotions, one at a time per server (a second click
/// waits for the first to finish and then finds the work done). The only place the pages call the promotion
/// service. Extracts run as jobs (<see cref="DashboardJobs"/>).</summary>
public sealed class DashboardActions : IDisposable
{
    private readonly SemaphoreSlim _one = new(1, 1);

    public void Dispose() => _one.Dispose();

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
