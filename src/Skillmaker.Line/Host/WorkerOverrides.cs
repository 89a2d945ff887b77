using System.Text.Json;
using System.Text.RegularExpressions;
using Skillmaker.Common;
using Skillmaker.Jobs;
using Skillmaker.Workspaces;

namespace Skillmaker.Host;

/// <summary>What one worker machine sets for itself over the shared settings each job carries: the addresses
/// it reaches the servers at (a job names them as the submitting machine saw them, e.g. 127.0.0.1), how many
/// threads a job may use, where it caches. Null fields keep the job's value.</summary>
public sealed partial record WorkerOverrides
{
    /// <summary>Threads a job uses on this machine: <c>detector.threads</c> and <c>ingest.parallelism</c> of every job.</summary>
    public int? Threads { get; init; }

    /// <summary>host[:port] of PostgreSQL as this machine reaches it: replaces the host of the job's catalog and queue.</summary>
    public string? PostgresHost { get; init; }

    /// <summary>S3 endpoint URL as this machine reaches it: replaces the job's <c>s3.endpoint</c>.</summary>
    public string? S3Endpoint { get; init; }

    public bool IsEmpty => Threads is null && PostgresHost is null && S3Endpoint is null;

    /// <summary>The job's workspace as this machine must open it.</summary>
    public WorkspaceRef Apply(WorkspaceRef reference)
    {
        if (IsEmpty) return reference;
        var config = reference.Open().Config;
        config = config with
        {
            Catalog = PostgresHost is { } h ? WithHost(config.Catalog, h) : config.Catalog,
            Jobs = PostgresHost is { } q && config.Jobs is { Storage: { } storage } jobs ? jobs with { Storage = WithHost(storage, q) } : config.Jobs,
            S3 = S3Endpoint is { } e ? (config.S3 ?? new S3Settings()) with { Endpoint = e } : config.S3,
            Detector = Threads is { } t ? config.Detector with { Threads = t } : config.Detector,
            Ingest = Threads is { } p ? config.Ingest with { Parallelism = p } : config.Ingest,
        };
        return reference with { Config = JsonSerializer.Serialize(config, WorkspaceJson.Options) };
    }

    /// <summary>A postgres:// location with its host[:port] replaced; other locations as they are.</summary>
    public static string WithHost(string location, string hostAndPort) => PostgresHostPattern().Replace(location, m => m.Groups[1].Value + hostAndPort, 1);

    /// <summary>Checks the values, naming the setting that is wrong.</summary>
    public WorkerOverrides Validated()
    {
        var errors = new List<SettingError>();
        if (Threads is < 1 or > 256) errors.Add(new("threads", $"is {Threads}; expected 1..256"));
        if (PostgresHost is { } h && !HostPattern().IsMatch(h)) errors.Add(new("postgresHost", $"is '{h}'; expected host[:port]"));
        if (S3Endpoint is { } e && !(Uri.TryCreate(e, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"))
            errors.Add(new("s3Endpoint", $"is '{e}'; expected an http(s) URL"));
        return errors.Count == 0 ? this : throw new InvalidSettingException(null, errors);
    }

    [GeneratedRegex(@"^(postgres(?:ql)?://(?:[^@/?]*@)?)[^/?]+")]
    private static partial Regex PostgresHostPattern();

    [GeneratedRegex(@"^[A-Za-z0-9.\-\[\]:]+$")]
    private static partial Regex HostPattern();
}
