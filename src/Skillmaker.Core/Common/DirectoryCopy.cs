namespace Skillmaker.Common;

public static class DirectoryCopy
{
    /// <summary>Copies <paramref name="from"/> with everything below it to <paramref name="to"/>
    /// (created; files already there are not overwritten).</summary>
    public static void Recursive(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from)) File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        foreach (var dir in Directory.GetDirectories(from)) Recursive(dir, Path.Combine(to, Path.GetFileName(dir)));
    }
}
