using Microsoft.Extensions.Logging;

namespace Skillmaker.Host;

/// <summary>What a host (a command, the server, a worker) lends the line: its clock, logging,
/// environment and where to look for files it was not told about.</summary>
public sealed record LineContext
{
    public TimeProvider Time { get; init; } = TimeProvider.System;
    public required ILoggerFactory Logging { get; init; }
    /// <summary>Environment variables (S3 credentials, $SKILLMAKER_ASSETS, webhook secrets).</summary>
    public required Func<string, string?> Environment { get; init; }
    /// <summary>Folders searched upward for the shared assets when a config names no model (the caller's
    /// current folder, the application's folder).</summary>
    public IReadOnlyList<string> AssetSearchStart { get; init; } = [];
    /// <summary>A worker's own folder for models fetched from the blob store, embeddings and skill packages;
    /// null: the temp folder's skillmaker-models.</summary>
    public string? CacheDirectory { get; init; }
    /// <summary>True on a worker: the workspace's folder is on the submitting machine, so training keeps its
    /// embeddings and packages under <see cref="CacheDirectory"/> instead.</summary>
    public bool OnWorker { get; init; }
    /// <summary>Who acts, for records such as promotions ($USER on the command line).</summary>
    public string User { get; init; } = System.Environment.UserName;
}
