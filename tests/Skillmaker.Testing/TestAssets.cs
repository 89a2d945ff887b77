using Skillmaker.Common;

namespace Skillmaker.Testing;

/// <summary>The shared real assets (models, photos). Tests fail loudly when they are missing: a test
/// that silently skips proves nothing.</summary>
public static class TestAssets
{
    private static readonly Lazy<string> Root = new(() =>
    {
        var (found, looked) = AssetLocator.Locate(Environment.GetEnvironmentVariable, AppContext.BaseDirectory, Environment.CurrentDirectory);
        return found ?? throw new InvalidOperationException($"Shared assets not found; looked in {string.Join("; ", looked)}. Set {AssetLocator.EnvironmentVariable}.");
    });

    public static string Dir => Root.Value;
    public static string Cars => Path.Combine(Dir, "cars");
    public static string Scenes => Path.Combine(Dir, "scenes");
    public static string Scene(string file) => Path.Combine(Scenes, file);
    public static string Detector => Path.Combine(Dir, "detector", "yolov8n_int8.onnx");
    public static string Backbone => Path.Combine(Dir, "backbone", "mobilenetv2-12-int8-features.onnx");

    /// <summary>All car photo paths, sorted.</summary>
    public static IReadOnlyList<string> CarPhotos() =>
        [.. Directory.EnumerateFiles(Cars, "*.jpg", SearchOption.AllDirectories).Order(StringComparer.Ordinal)];
}
