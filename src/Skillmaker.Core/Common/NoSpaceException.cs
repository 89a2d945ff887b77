using System.Globalization;

namespace Skillmaker.Common;

/// <summary>A write failed for want of room: the disk holding <see cref="Folder"/> is full, or the file
/// would pass this process's file size limit (<c>ulimit -f</c>). The message names the folder, what was
/// being written and the room left, instead of an "unexpected IOException".</summary>
public sealed class NoSpaceException : SkillmakerException
{
    private const int Enospc = 28, Efbig = 27, WindowsDiskFull = 112, WindowsHandleDiskFull = 39;

    public NoSpaceException(string folder, long needed, Exception inner) : base(Describe(folder, needed, inner), inner)
    {
        Folder = folder;
        Needed = needed;
    }

    public string Folder { get; } = "";
    public long Needed { get; }

    /// <summary>Whether a file write failed because the disk is full or the file size limit was reached.
    /// .NET reports the limit (EFBIG) as an ArgumentOutOfRangeException on "value"; only pass exceptions of
    /// a write with valid arguments.</summary>
    public static bool Is(Exception ex) => IsFileTooLarge(ex) || (ex is IOException io && !(io is FileNotFoundException or DirectoryNotFoundException)
        && (io.HResult is Enospc || (io.HResult & 0xFFFF) is WindowsDiskFull or WindowsHandleDiskFull));

    private static bool IsFileTooLarge(Exception ex) => ex is ArgumentOutOfRangeException { ParamName: "value" } || (ex is IOException && ex.HResult == Efbig);

    /// <summary>Bytes free for this user on the disk that holds <paramref name="folder"/>; null when unknown.</summary>
    public static long? FreeBytes(string folder)
    {
        try
        {
            return new DriveInfo(Path.GetFullPath(folder)).AvailableFreeSpace;
        }
        catch (Exception ex) when (ex is IOException or ArgumentException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static string Describe(string folder, long needed, Exception inner)
    {
        var size = Size(needed);
        if (IsFileTooLarge(inner))
            return $"Cannot write {size} in {folder}: the file would pass this process's file size limit (ulimit -f). "
                + "Raise the limit for the user running skillmaker; nothing half-written was kept, re-run the same command.";
        var free = FreeBytes(folder) is { } f ? $"{Size(f)} free there now" : "no room left";
        return $"No space left to write {size} in {folder} ({free}): free at least {size} on that disk, or move the workspace (or its blob store) to a larger one. "
            + "Nothing half-written was kept; re-run the same command.";
    }

    public static string Size(long bytes) => bytes switch
    {
        >= 1L << 30 => (bytes / (double)(1L << 30)).ToString("0.#", CultureInfo.InvariantCulture) + " GiB",
        >= 1L << 20 => (bytes / (double)(1L << 20)).ToString("0.#", CultureInfo.InvariantCulture) + " MiB",
        >= 1L << 10 => (bytes / (double)(1L << 10)).ToString("0.#", CultureInfo.InvariantCulture) + " KiB",
        _ => bytes.ToString(CultureInfo.InvariantCulture) + " bytes",
    };
}
