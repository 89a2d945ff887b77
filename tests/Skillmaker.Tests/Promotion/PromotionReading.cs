using System.Text.Json;
using Skillmaker.Registry;
using Skillmaker.Storage;
using Skillmaker.Workspaces;

namespace Skillmaker.Tests.Promotion;

/// <summary>Reading what a promotion did: its checks by name from <c>promote --json</c>, and the
/// registry of the <c>makes</c> skill in a workspace.</summary>
internal static class PromotionReading
{
    public static Dictionary<string, JsonElement> Checks(JsonElement promotion) =>
        promotion.GetProperty("decision").GetProperty("checks").EnumerateArray().ToDictionary(c => c.GetProperty("name").GetString()!);

    public static async Task<(IReadOnlyDictionary<string, int> Aliases, IReadOnlyList<AliasMove> History)> RegistryAsync(string root, string skill = "makes")
    {
        var workspace = await Workspace.OpenAsync(root, CancellationToken.None);
        await using var catalog = await WorkspaceStorage.OpenCatalogAsync(workspace, CancellationToken.None);
        var registry = WorkspaceStorage.AliasRegistry(catalog);
        return (await registry.GetAliasesAsync(skill, CancellationToken.None), await registry.GetHistoryAsync(skill, CancellationToken.None));
    }
}
