using System.Runtime.InteropServices;

namespace Skillmaker.Common;

/// <summary>What makes a file or folder the same one whatever the path to it: device and inode on Unix
/// (from <c>stat(2)</c>, which follows symbolic links), the fully resolved path elsewhere. A folder walk
/// keeps a set of these so that a symbolic link back up the tree is seen once, not followed forever.</summary>
public readonly record struct FileIdentity(ulong Device, ulong Inode, string? ResolvedPath)
{
    /// <summary>The identity of <paramref name="path"/>; null when it cannot be stat'ed (gone, a dangling link,
    /// no permission on a parent).</summary>
    public static FileIdentity? Of(string path)
    {
        if (OperatingSystem.IsLinux())
        {
            // struct stat begins with st_dev then st_ino, both 64-bit, on x86-64 and arm64 (glibc ≥ 2.33 exports stat).
            var buffer = new byte[256];
            try
            {
                if (NativeStat(path, buffer) != 0) return null;
            }
            catch (EntryPointNotFoundException)
            {
                return ByPath(path);
            }
            return new FileIdentity(BitConverter.ToUInt64(buffer, 0), BitConverter.ToUInt64(buffer, 8), null);
        }
        return ByPath(path);
    }

    private static FileIdentity? ByPath(string path)
    {
        try
        {
            var info = new DirectoryInfo(path);
            var target = info.ResolveLinkTarget(returnFinalTarget: true);
            return new FileIdentity(0, 0, Path.GetFullPath(target?.FullName ?? info.FullName));
        }
        catch (IOException)
        {
            return null;
        }
    }

    [DllImport("libc", EntryPoint = "stat", SetLastError = true, CharSet = CharSet.Ansi, BestFitMapping = false, ThrowOnUnmappableChar = true)]
    private static extern int NativeStat(string path, [Out] byte[] buffer);
}
