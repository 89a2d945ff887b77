using System.Text.Json;
using System.Text.Json.Serialization;
using Skillmaker.Common;

namespace Skillmaker.Serving;

/// <summary>One step of the cascade: a skill that classifies the vehicle crop, and which skill runs
/// next depending on its answer (e.g. make → the variant skill of that make).</summary>
public sealed record CascadeStage
{
    /// <summary>Skill name; the server runs the version its <c>production</c> alias points at.</summary>
    public string Skill { get; init; } = "";

    /// <summary>Below this top probability the stage abstains: it returns its options and the cascade
    /// stops there, because the next stage would be chosen on a guess. Default: the skill's own
    /// <c>serving.abstainBelow</c> from its skill config.</summary>
    public float? Threshold { get; init; }

    /// <summary>How many options (label + probability) to return. Default: the skill's <c>serving.topK</c>.</summary>
    public int? TopK { get; init; }

    /// <summary>The stage to run next for each label of this skill. A label not listed ends the cascade.</summary>
    public IReadOnlyDictionary<string, CascadeStage> Next { get; init; } = new Dictionary<string, CascadeStage>();
}

/// <summary>The labelled photos the cascade is evaluated on when a skill in it is promoted (the gate's
/// <c>cascade</c> check): a test set definition (<c>role: test</c>) or a photos folder (one sub-folder per
/// label, <c>no-vehicle</c> for photos without one); exactly one. Relative paths are relative to the serving
/// config's folder.</summary>
public sealed record CascadeEvaluationSet
{
    public string? Dataset { get; init; }
    public string? Photos { get; init; }

    /// <summary>With a dataset: photos a cascade skill trained on are left out (and listed) rather than
    /// refusing the check. Default true.</summary>
    public bool ExcludeLeaked { get; init; } = true;
}

/// <summary>The inference server's settings (<c>serving.json</c>): the cascade and the input limits.</summary>
public sealed record ServingConfig
{
    public const string DefaultFileName = "serving.json";

    /// <summary>The first stage; later stages hang off its <see cref="CascadeStage.Next"/>.</summary>
    public CascadeStage? Cascade { get; init; }

    /// <summary>Largest request body accepted, in bytes; larger gets 413. Default 16 MiB.</summary>
    public long MaxBytes { get; init; } = 16L << 20;

    /// <summary>Largest image accepted, in pixels (width × height from the header, checked before
    /// decoding, so a small PNG that would inflate to gigabytes is refused). Default 40 MP.</summary>
    public long MaxPixels { get; init; } = 40_000_000;

    /// <summary>How often the server checks the registry for a moved <c>production</c> alias. Default 2 s.</summary>
    public double RefreshSeconds { get; init; } = 2;

    /// <summary>Whether <c>/v1/classify</c> needs an API key (<c>X-Api-Key</c> or <c>Authorization:
    /// Bearer</c>). Default true; turn off only behind a gateway that authenticates.</summary>
    public bool RequireApiKey { get; init; } = true;

    /// <summary>Photos classified at the same time; more wait their turn, so many clients cannot make
    /// every answer slow by thrashing the cores. Default 0: one per core.</summary>
    public int MaxConcurrent { get; init; }

    /// <summary>Requests allowed to wait for a turn; beyond that the server answers 503 with
    /// <c>Retry-After</c> at once rather than letting latency grow without bound. Default 256.</summary>
    public int MaxQueued { get; init; } = 256;

    /// <summary>When the detector finds no vehicle, classify the whole photo instead of answering with no
    /// cascade (the answer's <c>input</c> says <c>whole-image</c>). A request can ask for it with
    /// <c>?wholeImage=true</c>. Default false.</summary>
    public bool WholeImageFallback { get; init; }

    /// <summary>Request bytes all admitted <c>/v1/classify</c> requests may hold at once (each counts its
    /// Content-Length, or <see cref="MaxBytes"/> when it sends none). A request that would go over is
    /// answered 503 with <c>Retry-After</c> before its body is read, so a burst of large uploads cannot
    /// grow the server's memory beyond this. Default 256 MiB; never less than <see cref="MaxBytes"/>.</summary>
    public long MaxInFlightBytes { get; init; } = 256L << 20;

    /// <summary>Shadow mode: when a cascade skill has a <c>staging</c> version (<c>promote --to staging</c>),
    /// it also answers each crop after the response, off the request's path; its answer is logged and
    /// counted beside production's (<c>skillmaker_shadow_answers_total</c>), never returned. Default false.</summary>
    public bool Shadow { get; init; }

    /// <summary>The cascade evaluation set promotion runs the cascade on (see <see cref="CascadeEvaluationSet"/>).
    /// Default none: promotion's cascade check says it was skipped.</summary>
    public CascadeEvaluationSet? Evaluation { get; init; }

    [JsonIgnore]
    public long EffectiveMaxInFlightBytes => Math.Max(MaxInFlightBytes, MaxBytes);

    /// <summary>Requests one API key may have in flight (reading, waiting or classified); more get 429 with
    /// <c>Retry-After</c>, so one client cannot take the whole queue. Default 32; 0 means no limit.</summary>
    public int MaxInFlightPerKey { get; init; } = 32;

    /// <summary>Seconds an accepted API key is trusted without asking the catalog again, so a revoked key
    /// keeps working on a running server for at most this long. Default 0: every request checks the
    /// catalog (one indexed lookup), and a revoked key is refused at once.</summary>
    public double ApiKeyCacheSeconds { get; init; }

    /// <summary>Seconds a client has to send the whole body; a slower upload gets 408. Default 30.</summary>
    public double BodyTimeoutSeconds { get; init; } = 30;

    [JsonIgnore]
    public int EffectiveMaxConcurrent => MaxConcurrent > 0 ? MaxConcurrent : Environment.ProcessorCount;

    [JsonIgnore]
    public IReadOnlyList<string> Skills => Cascade is null ? [] : [.. Walk(Cascade).Select(s => s.Skill).Distinct(StringComparer.Ordinal)];

    public static IEnumerable<CascadeStage> Walk(CascadeStage stage) => [stage, .. stage.Next.Values.SelectMany(Walk)];

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    };

    public static ServingConfig Load(string path)
    {
        if (!File.Exists(path)) throw new SkillmakerException($"Serving config {path} does not exist; expected a JSON file with a \"cascade\" (see docs/serving.md).");
        ServingConfig? config;
        try
        {
            config = JsonSerializer.Deserialize<ServingConfig>(File.ReadAllText(path), Json);
        }
        catch (JsonException ex)
        {
            throw new SkillmakerException($"Serving config {path}: {ex.Message} Expected {{\"cascade\": {{\"skill\": NAME, \"threshold\": 0.5, \"topK\": 3, \"next\": {{LABEL: STAGE}}}}, \"maxBytes\", \"maxPixels\", \"maxConcurrent\", \"maxQueued\", \"maxInFlightBytes\", \"maxInFlightPerKey\", \"bodyTimeoutSeconds\", \"refreshSeconds\", \"requireApiKey\", \"apiKeyCacheSeconds\", \"shadow\", \"evaluation\": {{\"dataset\": DEF.json}} or {{\"photos\": DIR}}}}.", ex);
        }
        return (config ?? throw new SkillmakerException($"Serving config {path} is empty; expected a JSON object.")).Validated(path);
    }

    private static readonly JsonSerializerOptions WriteJson = new(Json) { WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    public static string Serialize(ServingConfig config) => JsonSerializer.Serialize(config, WriteJson);

    /// <summary>Throws naming every bad value (with its path in the file) and what was expected.</summary>
    public ServingConfig Validated(string where)
    {
        var errors = new List<string>();
        if (Cascade is null) errors.Add("cascade is missing; expected the first stage, e.g. {\"skill\": \"make\"}");
        else Check(Cascade, "cascade", errors, []);
        if (MaxBytes is < 1024 or > 1L << 31) errors.Add($"maxBytes is {MaxBytes}; expected 1024..2147483648");
        if (MaxPixels is < 1024 or > 1_000_000_000) errors.Add($"maxPixels is {MaxPixels}; expected 1024..1000000000");
        if (MaxConcurrent is < 0 or > 1024) errors.Add($"maxConcurrent is {MaxConcurrent}; expected 0 (one per core)..1024");
        if (MaxQueued is < 0 or > 100_000) errors.Add($"maxQueued is {MaxQueued}; expected 0..100000");
        if (MaxInFlightBytes is < 1024 or > 1L << 40) errors.Add($"maxInFlightBytes is {MaxInFlightBytes}; expected 1024..1099511627776");
        if (MaxInFlightPerKey is < 0 or > 100_000) errors.Add($"maxInFlightPerKey is {MaxInFlightPerKey}; expected 0 (no limit)..100000");
        if (!(BodyTimeoutSeconds is >= 0.1 and <= 3600)) errors.Add($"bodyTimeoutSeconds is {BodyTimeoutSeconds}; expected 0.1..3600");
        if (!(ApiKeyCacheSeconds is >= 0 and <= 300)) errors.Add($"apiKeyCacheSeconds is {ApiKeyCacheSeconds}; expected 0 (check every request)..300");
        if (!(RefreshSeconds is >= 0.1 and <= 3600)) errors.Add($"refreshSeconds is {RefreshSeconds}; expected 0.1..3600");
        if (Evaluation is { } set && (set.Dataset is null) == (set.Photos is null))
            errors.Add(set.Dataset is null
                ? "evaluation names neither dataset nor photos; expected {\"dataset\": \"DEF.json\"} (a role test definition) or {\"photos\": \"DIR\"} (one sub-folder per label)"
                : "evaluation names both dataset and photos; expected exactly one");
        if (errors.Count > 0) throw new SkillmakerException($"Serving config {where}: {string.Join("; ", errors)}.");
        return this;
    }

    private static void Check(CascadeStage stage, string path, List<string> errors, HashSet<string> above)
    {
        if (!SkillNames.IsValid(stage.Skill)) errors.Add($"{path}.skill is '{stage.Skill}'; expected a skill name (lower-case letters, digits, '-', '_')");
        else if (!above.Add(stage.Skill)) errors.Add($"{path}.skill '{stage.Skill}' already runs earlier on this branch; a cascade cannot loop");
        if (stage.Threshold is { } t && !(t is >= 0 and <= 1)) errors.Add($"{path}.threshold is {stage.Threshold}; expected a probability 0..1");
        if (stage.TopK is { } k && k is < 1 or > 50) errors.Add($"{path}.topK is {stage.TopK}; expected 1..50");
        foreach (var (label, next) in stage.Next)
            Check(next, $"{path}.next[\"{label}\"]", errors, [.. above]);
    }
}

public static partial class SkillNames
{
    public static bool IsValid(string? name) => name is { Length: > 0 and <= 64 } && Pattern().IsMatch(name);

    [System.Text.RegularExpressions.GeneratedRegex("^[a-z0-9][a-z0-9_-]*$")]
    private static partial System.Text.RegularExpressions.Regex Pattern();
}
