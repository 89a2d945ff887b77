using Microsoft.Extensions.Logging;
using Skillmaker.Blobs;
using Skillmaker.Catalog;
using Skillmaker.Datasets;
using Skillmaker.Evaluation;
using Skillmaker.Promotion;
using Skillmaker.Registry;
using Skillmaker.Reports;
using Skillmaker.Skills;
using Skillmaker.Vision.Embeddings;
using Skillmaker.Workspaces;

namespace Skillmaker.Training;

/// <summary>What training, evaluation and promotion use from the workspace, built whole by the
/// composition root (<c>Skillmaker.Host.LineServices</c>). One instance may serve several concurrent
/// trainers: they share the embedding cache (and its in-process claims).</summary>
public sealed record TrainingEnvironment
{
    public required Workspace Workspace { get; init; }
    public required ICatalog Catalog { get; init; }
    public required IBlobStore Blobs { get; init; }
    public required IDatasetStore Datasets { get; init; }
    public required IAliasRegistry Registry { get; init; }
    public required HttpClient Http { get; init; }
    public required TimeProvider Time { get; init; }
    public required ILoggerFactory Logging { get; init; }
    public required Func<string, string?> Environment { get; init; }
    public required EmbeddingCache EmbeddingCache { get; init; }
    public required SkillStore Skills { get; init; }
    /// <summary>Extracts the manifest a skill config names when it has none yet.</summary>
    public required DatasetService Extractor { get; init; }
    public required Evaluator Evaluator { get; init; }
    public required ReportBuilder Reports { get; init; }
    /// <summary>The gate decisions promotion recorded, which reports show.</summary>
    public required GateRecords Gates { get; init; }

    /// <summary>Files by content address every machine shares (a server-mode workspace): promotion publishes
    /// its report and deployment bundle there. Default null: this machine's files only.</summary>
    public Artefacts? Artefacts { get; init; }

    /// <summary>Where a crop was cut from (its parent photo and rectangle), so the box augmentation can
    /// grow it from the parent. Default null: crops are augmented on their own pixels.</summary>
    public Func<string, CancellationToken, Task<Detection.CropOrigin?>>? FindCropOrigin { get; init; }

    /// <summary>The embedding index shared by every machine (a shared workspace): what another machine
    /// computed is copied into <see cref="EmbeddingCache"/> first, what is computed here is published.
    /// Default null: this machine's cache only.</summary>
    public SharedEmbeddings? SharedEmbeddings { get; init; }

    /// <summary>Where embeddings missing from the cache are computed first (server mode: batch jobs on
    /// workers). Default null: here, by the trainer itself.</summary>
    public IEmbeddingOffload? Offload { get; init; }
    /// <summary>Writes the image contents of a promoted skill's service (deploy/NAME/workspace). Default
    /// none: promotion then writes only the deployment config files.</summary>
    public IServingBundleWriter? ServingBundles { get; init; }

    /// <summary>The workspace's serving config (its cascade): promotion of a skill in it also runs the cascade. Default none.</summary>
    public string? ServingConfigPath { get; init; }

    /// <summary>Runs the cascade of a serving config in this process (promotion's cascade check). Default
    /// none (workers): the check is then skipped, saying so.</summary>
    public Func<string, CancellationToken, Task<Serving.CascadeHarness>>? CascadeHarness { get; init; }

    /// <summary>Shadow answers counted by servers (promotion shows them and may require them). Default none.</summary>
    public Serving.IShadowStore? Shadow { get; init; }

    public Task<byte[]> ReadImageAsync(string imageId, CancellationToken cancellationToken) => Blobs.ReadAllBytesAsync(imageId, cancellationToken);

    /// <summary>Sends a notification as the skill's notify section says, else as the workspace
    /// config's <c>notify</c> section says; nothing when neither has one. Never throws for delivery.</summary>
    public async Task<IReadOnlyList<DeliveryResult>> NotifyAsync(NotificationSettings? settings, Notification notification, CancellationToken cancellationToken)
    {
        if (settings is null)
        {
            var (fromWorkspace, error) = WorkspaceNotify();
            // A broken notify section must not fail a run whose work is done: it is reported instead.
            if (error is not null) return [new DeliveryResult("workspace config", false, 0, error)];
            settings = fromWorkspace;
        }
        if (settings is null) return [];
        var notifier = new Notifier(settings, Http, Time, Environment, Logging.CreateLogger<Notifier>());
        return await notifier.SendAsync(notification, cancellationToken);
    }

    private (NotificationSettings? Settings, string? Error) WorkspaceNotify()
    {
        if (Workspace.Config.Extra?.TryGetValue("notify", out var section) != true) return (null, null);
        try
        {
            return (System.Text.Json.JsonSerializer.Deserialize<NotificationSettings>(section, SkillJson.Strict), null);
        }
        catch (System.Text.Json.JsonException ex)
        {
            return (null, $"{Workspace.ConfigPath}: notify is not valid at {SkillJson.FieldOf(ex)}: {SkillJson.Plain(ex)}");
        }
    }

    public static NotificationSettings? NotifySettingsOf(SkillPackageInfo info) =>
        info.Notify is { ValueKind: System.Text.Json.JsonValueKind.Object } n ? System.Text.Json.JsonSerializer.Deserialize<NotificationSettings>(n, SkillJson.Options) : null;
}
