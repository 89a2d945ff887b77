using System.Text.Json;
using System.Text.Json.Serialization;
using Skillmaker.Workspaces;

namespace Skillmaker.Jobs;

/// <summary>A workspace as a job carries it: its root as the enqueuing machine saw it and its config. A
/// worker needs nothing else (no shared folder) when the catalog and blobs are servers; relative paths in
/// the config resolve against <see cref="Root"/>, so folders must be shared at the same path.</summary>
public sealed record WorkspaceRef(string Root, string Config)
{
    /// <summary>The workspace as jobs carry it: its config without any password (a job's arguments are stored
    /// in the queue and shown on the dashboard); workers take secrets from their own environment.</summary>
    public static WorkspaceRef Of(Workspace workspace) => new(workspace.Root, JsonSerializer.Serialize(WithoutSecrets(workspace.Config), WorkspaceJson.Options));

    /// <summary>The config with passwords taken out of its locations.</summary>
    public static WorkspaceConfig WithoutSecrets(WorkspaceConfig config) => config with
    {
        Catalog = Common.Credentials.WithoutPassword(config.Catalog),
        Jobs = config.Jobs is { Storage: { } storage } jobs ? jobs with { Storage = Common.Credentials.WithoutPassword(storage) } : config.Jobs,
    };

    public Workspace Open() => Workspace.FromConfig(Root, Config);
}

/// <summary>One job: a batch of a run's items. Carries only small, serialisable arguments (the workspace
/// and the items' paths or ids), never image bytes.</summary>
public sealed record JobBatch
{
    /// <summary>Which handler runs it: <c>ingest</c>, <c>detect</c>, ...; also the queue it waits in.</summary>
    public required string Kind { get; init; }
    public required string RunId { get; init; }
    /// <summary>0-based position of the batch in its run.</summary>
    public required int Index { get; init; }
    public required int Batches { get; init; }
    public required WorkspaceRef Workspace { get; init; }
    /// <summary>The batch's items as JSON, in the handler's own shape.</summary>
    public required string Payload { get; init; }

    // What the dashboard shows as the job's name.
    public override string ToString() => $"{Kind} {RunId} batch {Index + 1}/{Batches}";
}

/// <summary>A run as it is submitted: its batches' sizes and what every batch and the finish step share.</summary>
public sealed record JobRun(string RunId, string Kind, string Context, DateTimeOffset CreatedAt, IReadOnlyList<int> BatchSizes);

/// <summary>A batch as the ledger holds it; <see cref="Result"/> is left out when only progress was asked for.</summary>
public sealed record JobBatchRecord(int Index, int Items, string? JobId, string? Result, DateTimeOffset? CompletedAt)
{
    public bool Done => CompletedAt is not null;
}

/// <summary>A run as the ledger holds it.</summary>
public sealed record JobRunRecord
{
    public required string RunId { get; init; }
    public required string Kind { get; init; }
    /// <summary>Handler-defined JSON shared by all batches (settings, model, what the command found before splitting).</summary>
    public required string Context { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? FinishedAt { get; init; }
    public IReadOnlyList<JobBatchRecord> Batches { get; init; } = [];

    public JobRunProgress Progress => new(Batches.Count, Batches.Count(b => b.Done), Batches.Sum(b => b.Items), Batches.Where(b => b.Done).Sum(b => b.Items), FinishedAt is not null);
}

public sealed record JobRunProgress(int Batches, int BatchesDone, int Items, int ItemsDone, bool Finished)
{
    public bool AllBatchesDone => BatchesDone == Batches;
}

/// <summary>A batch's result, recorded once: a retried batch never overwrites the first result.</summary>
public sealed record BatchCompletion(string RunId, int Index, string Result, DateTimeOffset At);

public enum JobState { Waiting, Running, Succeeded, Failed, Deleted, Unknown }

public sealed record JobStatus(JobState State, string? Error = null);

/// <summary>The shared JSON shape of payloads, contexts and results.</summary>
public static class JobJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static string Write<T>(T value) => JsonSerializer.Serialize(value, Options);

    public static T Read<T>(string json, string what) =>
        JsonSerializer.Deserialize<T>(json, Options) ?? throw new Common.SkillmakerException($"{what} is empty; expected a JSON value.");
}

/// <summary>Run ids of every kind: <c>KIND-20261203T174502Z-1a2b3c4d</c>, sortable by start time, unique.</summary>
public static class RunIds
{
    public static string New(string kind, TimeProvider time) => $"{kind}-{time.GetUtcNow():yyyyMMdd'T'HHmmss'Z'}-{Guid.NewGuid().ToString("N")[..8]}";
}
