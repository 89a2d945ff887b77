using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Skillmaker.Common;

namespace Skillmaker.Skills;

/// <summary>How the image is fitted to the backbone's input before the crop.</summary>
public enum ResizeMode
{
    /// <summary>Scale so the shorter side is <see cref="PreprocessingSpec.ResizeTo"/>, then crop (ImageNet style).</summary>
    ShorterSide,
    /// <summary>Scale each side to the input size, ignoring the aspect ratio.</summary>
    Stretch,
    /// <summary>Scale so the whole image fits, keep the aspect ratio, pad with grey 114.</summary>
    Letterbox,
}

public enum CropMode { Center, None }

public enum ChannelOrder { Rgb, Bgr }

public enum TensorLayout { Nchw, Nhwc }

/// <summary>Pixels to tensor, exactly as the backbone was trained to see them. Defaults are the ONNX
/// Model Zoo / torchvision ImageNet convention (224×224, shorter side 256, centre crop, ImageNet mean
/// and std, RGB, NCHW).</summary>
public sealed record PreprocessingSpec
{
    /// <summary>Input width in pixels. Default 224.</summary>
    public int Width { get; init; } = 224;

    /// <summary>Input height in pixels. Default 224.</summary>
    public int Height { get; init; } = 224;

    /// <summary>shorter-side (default), stretch or letterbox.</summary>
    public ResizeMode Resize { get; init; } = ResizeMode.ShorterSide;

    /// <summary>shorter-side: length of the shorter side before the centre crop. Default: the larger of
    /// width and height divided by 0.875 (256 for 224, the ImageNet convention).</summary>
    public int? ResizeTo { get; init; }

    /// <summary>center (default) or none. shorter-side needs center.</summary>
    public CropMode Crop { get; init; } = CropMode.Center;

    /// <summary>Pixel values (0..255) are divided by this before mean and std. Default 255; 1 keeps 0..255.</summary>
    public double PixelScale { get; init; } = 255;

    /// <summary>Per-channel mean, in the input's channel order, subtracted after scaling. Default ImageNet.</summary>
    public IReadOnlyList<double> Mean { get; init; } = [0.485, 0.456, 0.406];

    /// <summary>Per-channel standard deviation, divided after the mean. Default ImageNet.</summary>
    public IReadOnlyList<double> Std { get; init; } = [0.229, 0.224, 0.225];

    /// <summary>rgb (default) or bgr (e.g. Caffe exports).</summary>
    public ChannelOrder ChannelOrder { get; init; } = ChannelOrder.Rgb;

    /// <summary>nchw (default; PyTorch exports) or nhwc (TensorFlow exports).</summary>
    public TensorLayout Layout { get; init; } = TensorLayout.Nchw;

    [JsonIgnore]
    public int EffectiveResizeTo => ResizeTo ?? (int)Math.Round(Math.Max(Width, Height) / 0.875);

    public IReadOnlyList<string> Validate(string field)
    {
        var errors = new List<string>();
        if (Width is < 8 or > 4096) errors.Add($"{field}.width: {Width} is outside 8..4096");
        if (Height is < 8 or > 4096) errors.Add($"{field}.height: {Height} is outside 8..4096");
        if (Resize == ResizeMode.ShorterSide && Crop != CropMode.Center)
            errors.Add($"{field}.crop: 'none' with resize 'shorter-side' leaves the longer side larger than the input; use 'center', or resize 'stretch' or 'letterbox'");
        if (ResizeTo is { } r && (r < Math.Max(Width, Height) || r > 8192))
            errors.Add($"{field}.resizeTo: {r} must be at least the larger of width and height ({Math.Max(Width, Height)}) and at most 8192");
        if (!(PixelScale > 0)) errors.Add($"{field}.pixelScale: {PixelScale} must be positive (255 maps pixels to 0..1, 1 keeps 0..255)");
        if (Mean.Count != 3) errors.Add($"{field}.mean: {Mean.Count} values; expected 3 (one per channel)");
        if (Std.Count != 3) errors.Add($"{field}.std: {Std.Count} values; expected 3 (one per channel)");
        for (var i = 0; i < Std.Count; i++)
            if (!(Std[i] > 0)) errors.Add($"{field}.std[{i}]: {Std[i]} must be positive");
        return errors;
    }

    /// <summary>Identifies the preprocessing in cache keys: any change gives new embeddings. The version
    /// prefix names the pixel pipeline (Vision's Preprocessor); it changes when that code does.</summary>
    public string Hash() => Sha256Hex.Of(Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture,
        $"preprocessing-v2|{Width}|{Height}|{Resize}|{EffectiveResizeTo}|{Crop}|{PixelScale:R}|{string.Join(',', Mean.Select(m => m.ToString("R", CultureInfo.InvariantCulture)))}|{string.Join(',', Std.Select(s => s.ToString("R", CultureInfo.InvariantCulture)))}|{ChannelOrder}|{Layout}")));
}

/// <summary>The frozen feature extractor: an ONNX file, which input to feed and which output is the
/// embedding.</summary>
public sealed record BackboneSpec
{
    /// <summary>ONNX file; relative paths are relative to the skill config file. <c>${VAR}</c> is
    /// replaced by the environment variable (e.g. <c>${SKILLMAKER_ASSETS}/backbone/…</c>). Required.</summary>
    public string Path { get; init; } = "";

    /// <summary>Input tensor name. Default: the model's only input.</summary>
    public string? Input { get; init; }

    /// <summary>Output tensor holding the embedding, e.g. <c>features</c> ([batch, D] or [batch, D, 1, 1]). Required.</summary>
    public string Output { get; init; } = "";

    public PreprocessingSpec Preprocessing { get; init; } = new();
}

/// <summary>The trained last layer: a type and its parameters (see docs/training.md per type).</summary>
public sealed record HeadSpec
{
    public static readonly IReadOnlyList<string> Types = ["logistic", "lightgbm", "knn", "linear-svm", "naive-bayes", "lda"];

    /// <summary>logistic (default), lightgbm, knn, linear-svm, naive-bayes or lda.</summary>
    public string Type { get; init; } = "logistic";

    /// <summary>Parameters of the head type; unknown names are errors. Default: the type's defaults.</summary>
    public JsonElement? Params { get; init; }
}

/// <summary>Where and how hard to run, per machine: <c>--profile NAME</c> picks one.</summary>
public sealed record ProfileSpec
{
    public static readonly IReadOnlyList<string> ExecutionProviders = ["cpu", "cuda"];

    /// <summary>Images per backbone run. Default 16.</summary>
    public int BatchSize { get; init; } = 16;

    /// <summary>Thread budget for decoding and inference. Default 0: one per core.</summary>
    public int Threads { get; init; }

    /// <summary>ONNX Runtime execution provider: cpu (default) or cuda (needs a GPU build of ONNX Runtime).</summary>
    public string ExecutionProvider { get; init; } = "cpu";

    [JsonIgnore]
    public int EffectiveThreads => Threads > 0 ? Threads : Environment.ProcessorCount;

    public IReadOnlyList<string> Validate(string field)
    {
        var errors = new List<string>();
        if (BatchSize is < 1 or > 4096) errors.Add($"{field}.batchSize: {BatchSize} is outside 1..4096");
        if (Threads is < 0 or > 1024) errors.Add($"{field}.threads: {Threads} is outside 0..1024 (0 = one per core)");
        if (!ExecutionProviders.Contains(ExecutionProvider))
            errors.Add($"{field}.executionProvider: '{ExecutionProvider}' is not supported; allowed: {string.Join(", ", ExecutionProviders)}");
        return errors;
    }
}

/// <summary>Augmented copies of each training image (test images are never augmented).</summary>
public sealed record AugmentationSpec
{
    /// <summary>Augmented copies per training image, besides the original. Default 0 (none).</summary>
    public int CopiesPerImage { get; init; }

    /// <summary>Steps (see the dataset definition's augmentations). Default: the dataset definition's
    /// augmentations, else the built-in defaults.</summary>
    public IReadOnlyList<Augmentation.AugmentationStep>? Steps { get; init; }
}

/// <summary>Serving hints read by the inference server.</summary>
public sealed record ServingSpec
{
    /// <summary>Below this top probability the server abstains and returns options. Default 0 (never).</summary>
    public double AbstainBelow { get; init; }

    /// <summary>Options returned per answer. Default 3.</summary>
    public int TopK { get; init; } = 3;

    /// <summary>Open-set rejection: the share of known-class images the skill should answer, in (0, 1].
    /// Training sets the out-of-distribution threshold so that this share of held-out images of the
    /// skill's own classes (the test split) is answered; images further from the training data are abstained on as
    /// out-of-distribution. 1 answers everything the softmax answers. Default 0.95.</summary>
    public double Coverage { get; init; } = 0.95;

    /// <summary>The out-of-distribution score: relative-mahalanobis (default), mahalanobis, knn, or none.</summary>
    public string OpenSet { get; init; } = "relative-mahalanobis";
}

/// <summary>Shared JSON settings for skill configs and packages: camelCase, kebab-case enums
/// (<c>shorter-side</c>, <c>nchw</c>), comments and trailing commas allowed when reading.</summary>
public static class SkillJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower, allowIntegerValues: false) },
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>The same, refusing fields it does not know (configs written by people).</summary>
    public static readonly JsonSerializerOptions Strict = new(Options) { UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow };

    /// <summary>"$.network.head.type" → "network.head.type".</summary>
    public static string FieldOf(JsonException ex) => ex.Path is { Length: > 1 } p ? p.TrimStart('$', '.') : "(top level)";

    /// <summary>The exception's message without System.Text.Json's path and position suffix.</summary>
    public static string Plain(JsonException ex) => ex.Message.Split(" Path:", 2)[0];
}
