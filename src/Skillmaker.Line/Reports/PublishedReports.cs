using System.Globalization;
using Skillmaker.Blobs;
using Skillmaker.Common;
using Skillmaker.Skills;

namespace Skillmaker.Reports;

/// <summary>Model report PDFs in the blob store (a server-mode workspace): each report written by
/// <c>promote</c> or <c>report</c> is published under artefact kind <c>report</c>, name <c>NAME@VERSION</c>,
/// so any machine can fetch the latest one of a version, verified by its SHA-256, instead of only the
/// machine that wrote it.</summary>
public sealed class PublishedReports(Artefacts artefacts)
{
    public const string Kind = "report";

    /// <summary>Publishes the PDF at <paramref name="path"/> as the latest report of <paramref name="skill"/>.</summary>
    public Task<ArtefactRecord> PublishAsync(SkillRef skill, string path, CancellationToken cancellationToken) =>
        artefacts.PublishFileAsync(Kind, NameOf(skill), path, cancellationToken);

    /// <summary>The latest published report of <paramref name="skill"/>, if any.</summary>
    public Task<ArtefactRecord?> LatestAsync(SkillRef skill, CancellationToken cancellationToken) =>
        artefacts.Index.LatestAsync(Kind, NameOf(skill), cancellationToken);

    /// <summary>Writes the published report <paramref name="record"/> to <paramref name="path"/> atomically,
    /// after checking its bytes against the SHA-256 the catalog recorded.</summary>
    public async Task WriteAsync(ArtefactRecord record, string path, CancellationToken cancellationToken)
    {
        var bytes = await artefacts.ReadAsync(record, cancellationToken);
        var sha = Sha256Hex.Of(bytes);
        if (sha != record.Sha256)
            throw new SkillmakerException($"The report {record.Name} read from the blob store has sha256 {sha}; the catalog recorded {record.Sha256}. Write it again with `skillmaker report {record.Name} --out FILE.pdf`.");
        if (Path.GetDirectoryName(Path.GetFullPath(path)) is { } folder) Directory.CreateDirectory(folder);
        await AtomicFile.WriteAllBytesAsync(path, bytes, cancellationToken);
    }

    public static string NameOf(SkillRef skill) => $"{skill.Name}@{skill.Version.ToString(CultureInfo.InvariantCulture)}";
}
