using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Skillmaker.Augmentation;
using Skillmaker.Common;
using Skillmaker.Datasets;
using Skillmaker.Skills;
using Skillmaker.Vision.Heads;

namespace Skillmaker.Training;

/// <summary>Reads a skill config and reports every problem at once, each with its field path, before
/// any long work starts.</summary>
public static partial class SkillConfigLoader
{
    public static async Task<LoadedSkillConfig> LoadAsync(string path, Func<string, string?> environment, CancellationToken cancellationToken)
    {
        path = System.IO.Path.GetFullPath(path);
        if (!File.Exists(path)) throw new SkillmakerException($"Skill config {path} does not exist.");
        var text = await File.ReadAllTextAsync(path, cancellationToken);
        SkillConfig? config;
        try
        {
            config = JsonSerializer.Deserialize<SkillConfig>(text, SkillJson.Strict);
        }
        catch (JsonException ex)
        {
            throw new SkillmakerException($"Skill config {path} is not valid at {SkillJson.FieldOf(ex)}: {SkillJson.Plain(ex)}", ex);
        }
        if (config is null) throw new SkillmakerException($"Skill config {path} is empty; expected a JSON object.");

        var folder = System.IO.Path.GetDirectoryName(path)!;
        var errors = new List<string>();
        var definition = await ResolveDefinitionAsync(config, folder, errors, cancellationToken);
        var backbonePath = ResolveBackbone(config.Network.Backbone.Path, folder, environment, errors);
        errors.AddRange(Validate(config));
        if (definition is { ClassesFromLabels: false, Classes.Count: 1 })
            errors.Add($"definition.classes: only one class ('{definition.Classes[0].Name}'); a skill needs at least two");
        if (errors.Count > 0)
            throw new SkillmakerException($"Skill config {path} has {errors.Count} problem(s):\n  " + string.Join("\n  ", errors));

        var effective = config with
        {
            Schema = null,
            Definition = JsonDocument.Parse(DatasetDefinitionLoader.Serialize(definition!)).RootElement.Clone(),
            Network = config.Network with { Head = config.Network.Head with { Params = HeadParams.Effective(config.Network.Head) } },
        };
        var json = JsonSerializer.Serialize(effective, SkillJson.Options);
        return new LoadedSkillConfig
        {
            Path = path,
            Config = config,
            Definition = definition!,
            BackbonePath = backbonePath!,
            EffectiveJson = json,
            ConfigHash = Sha256Hex.Of(Encoding.UTF8.GetBytes(json)),
        };
    }

    /// <summary>Checks that need no files: names, ranges, allowed values.</summary>
    public static IReadOnlyList<string> Validate(SkillConfig c)
    {
        var errors = new List<string>();
        if (!NamePattern().IsMatch(c.Name))
            errors.Add($"name: '{c.Name}' must be 1-63 lower-case letters, digits, '-', '_' or '.', starting with a letter or digit (it names folders and services)");
        if (c.Manifest is { } m && !(m.Length >= 6 && m.All(char.IsAsciiHexDigitLower)))
            errors.Add($"manifest: '{m}' is not a manifest id or prefix (6+ lower-case hex digits; see `skillmaker manifests list`)");
        var backbone = c.Network.Backbone;
        if (string.IsNullOrWhiteSpace(backbone.Output))
            errors.Add("network.backbone.output: required; name the output tensor that holds the embedding (e.g. features)");
        errors.AddRange(backbone.Preprocessing.Validate("network.backbone.preprocessing"));
        errors.AddRange(HeadParams.Validate(c.Network.Head, "network.head", out _));
        if (c.Network.TestTime is not ("hflip" or "none"))
            errors.Add($"network.testTime: '{c.Network.TestTime}' is not a test-time augmentation; allowed: hflip, none");
        if (c.Augmentations.CopiesPerImage is < 0 or > 50)
            errors.Add($"augmentations.copiesPerImage: {c.Augmentations.CopiesPerImage} is outside 0..50");
        if (c.Augmentations.Steps is { } steps)
        {
            errors.AddRange(AugmentationSteps.Validate(steps, "augmentations.steps"));
            if (steps.Count == 0 && c.Augmentations.CopiesPerImage > 0)
                errors.Add("augmentations.steps: empty, so every copy would equal its original; list steps or set copiesPerImage to 0");
        }
        foreach (var (name, profile) in c.Profiles)
        {
            if (!NamePattern().IsMatch(name)) errors.Add($"profiles.{name}: profile names are lower-case letters, digits, '-', '_' or '.'");
            errors.AddRange(profile.Validate($"profiles.{name}"));
        }
        if (c.Gate.MinAccuracyDelta is < -1 or > 1) errors.Add($"gate.minAccuracyDelta: {c.Gate.MinAccuracyDelta} is outside [-1, 1] (a share of accuracy, e.g. 0.01)");
        if (c.Gate.LatencyTolerance is < 0 or > 100) errors.Add($"gate.latencyTolerance: {c.Gate.LatencyTolerance} is outside [0, 100] (a share, e.g. 0.1 for +10%)");
        if (c.Gate.LatencyFloorMs is < 0 or > 10_000) errors.Add($"gate.latencyFloorMs: {c.Gate.LatencyFloorMs} is outside [0, 10000] (milliseconds, e.g. 2)");
        if (c.Gate.Confidence is <= 0.5 or >= 1) errors.Add($"gate.confidence: {c.Gate.Confidence} is outside (0.5, 1) (a confidence level, e.g. 0.95)");
        if (c.Gate.MaxClassDrop is < 0 or > 1) errors.Add($"gate.maxClassDrop: {c.Gate.MaxClassDrop} is outside [0, 1] (a share of recall, e.g. 0.1 for 10 points; null for no per-class check)");
        if (c.Gate.ShadowMinAnswers is < 0 or > 100_000_000) errors.Add($"gate.shadowMinAnswers: {c.Gate.ShadowMinAnswers} is outside [0, 100000000] (shadow answers the candidate needs beside production; null for none)");
        if (c.Gate.ShadowMinAgreement is < 0 or > 1) errors.Add($"gate.shadowMinAgreement: {c.Gate.ShadowMinAgreement} is outside [0, 1] (a share of shadow answers agreeing with production, e.g. 0.9; null for none)");
        if (c.Serving.AbstainBelow is < 0 or > 1) errors.Add($"serving.abstainBelow: {c.Serving.AbstainBelow} is outside [0, 1]");
        if (c.Serving.TopK is < 1 or > 100) errors.Add($"serving.topK: {c.Serving.TopK} is outside 1..100");
        if (!(c.Serving.Coverage > 0 && c.Serving.Coverage <= 1))
            errors.Add($"serving.coverage: {c.Serving.Coverage} is outside (0, 1]; it is the share of images of the skill's own classes to answer (e.g. 0.95; 1 turns open-set rejection off)");
        if (c.Serving.OpenSet is not ("relative-mahalanobis" or "mahalanobis" or "knn" or "none"))
            errors.Add($"serving.openSet: '{c.Serving.OpenSet}' is not an open-set method; allowed: relative-mahalanobis, mahalanobis, knn, none");
        if (c.Evaluation.Folds is { } folds && folds is < 2 or > 20) errors.Add($"evaluation.folds: {folds} is outside 2..20 (e.g. 5)");
        if (c.Notify is { } n)
        {
            if (n.SlackWebhook is { } url && !(Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"))
                errors.Add($"notify.slackWebhook: '{url}' is not an http(s) URL");
            if (n.Attempts is < 1 or > 20) errors.Add($"notify.attempts: {n.Attempts} is outside 1..20");
            if (n.RetryDelayMs < 0) errors.Add($"notify.retryDelayMs: {n.RetryDelayMs} must be 0 or more");
            if (n.TimeoutMs < 1) errors.Add($"notify.timeoutMs: {n.TimeoutMs} must be positive");
            if (n.Email is { } e)
            {
                if (string.IsNullOrWhiteSpace(e.SmtpHost)) errors.Add("notify.email.smtpHost: required");
                if (e.Port is < 1 or > 65535) errors.Add($"notify.email.port: {e.Port} is outside 1..65535");
                if (e.Security is not ("auto" or "none" or "tls")) errors.Add($"notify.email.security: '{e.Security}' is not allowed; use auto, none or tls");
                if (e.To.Count == 0) errors.Add("notify.email.to: give at least one address");
            }
        }
        return errors;
    }

    private static async Task<DatasetDefinition?> ResolveDefinitionAsync(SkillConfig config, string folder, List<string> errors, CancellationToken cancellationToken)
    {
        try
        {
            switch (config.Definition)
            {
                case null or { ValueKind: JsonValueKind.Null }:
                    errors.Add("definition: required; give the path of a dataset definition or the definition object");
                    return null;
                case { ValueKind: JsonValueKind.String } p:
                    var path = System.IO.Path.GetFullPath(p.GetString()!, folder);
                    return await DatasetDefinitionLoader.LoadAsync(path, cancellationToken);
                case { ValueKind: JsonValueKind.Object } o:
                    return DatasetDefinitionLoader.Parse(o.GetRawText(), "definition (inline)");
                default:
                    errors.Add($"definition: a {config.Definition.Value.ValueKind}; expected a path or an object");
                    return null;
            }
        }
        catch (SkillmakerException ex)
        {
            errors.Add("definition: " + ex.Message.Replace("\n", "\n  ", StringComparison.Ordinal));
            return null;
        }
    }

    private static string? ResolveBackbone(string written, string folder, Func<string, string?> environment, List<string> errors)
    {
        if (string.IsNullOrWhiteSpace(written))
        {
            errors.Add("network.backbone.path: required; the ONNX file of the backbone");
            return null;
        }
        var missing = new List<string>();
        var expanded = Variable().Replace(written, m =>
        {
            var name = m.Groups[1].Value;
            if (environment(name) is { Length: > 0 } value) return value;
            if (name == AssetLocator.EnvironmentVariable && AssetLocator.Locate(environment, folder, AppContext.BaseDirectory).Found is { } assets) return assets;
            missing.Add(name);
            return m.Value;
        });
        if (missing.Count > 0)
        {
            errors.Add($"network.backbone.path: '{written}' uses ${{{string.Join("}, ${", missing)}}}, which is not set");
            return null;
        }
        var full = System.IO.Path.GetFullPath(expanded, folder);
        if (!File.Exists(full))
        {
            errors.Add($"network.backbone.path: {full} does not exist; expected the backbone's ONNX file");
            return null;
        }
        return full;
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9._-]{0,62}$")]
    private static partial Regex NamePattern();

    [GeneratedRegex(@"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")]
    private static partial Regex Variable();
}
