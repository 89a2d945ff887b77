namespace Skillmaker.Common;

/// <summary>One bad value: the setting's field name as a config file or request spells it
/// (<c>minScore</c>) and what is wrong with it ("is 2; expected a score in (0, 1]").</summary>
public sealed record SettingError(string Field, string Problem);

/// <summary>Bad settings, each named by its field. Services speak in fields; a host that takes the
/// values under other names (the command line's flags) renders the message with its own names through
/// <see cref="MessageWith"/>, so no service ever needs to know a flag.</summary>
public sealed class InvalidSettingException : SkillmakerException
{
    /// <param name="where">Where the values came from, e.g. "Workspace config /w/.skillmaker/workspace.json,
    /// detector section"; null when they came with the request itself (a command's options, an API call).</param>
    public InvalidSettingException(string? where, IReadOnlyList<SettingError> errors) : base(Format(where, errors, f => f))
    {
        if (errors.Count == 0) throw new ArgumentException("At least one error is needed.", nameof(errors));
        Where = where;
        Errors = errors;
    }

    public InvalidSettingException(string? where, string field, string problem) : this(where, [new SettingError(field, problem)]) { }

    public InvalidSettingException() : this(null, "value", "is not valid") { }

    public InvalidSettingException(string message) : this(null, "value", message) { }

    public InvalidSettingException(string message, Exception inner) : base(message, inner)
    {
        Errors = [new SettingError("value", message)];
    }

    public string? Where { get; }

    public IReadOnlyList<SettingError> Errors { get; } = [];

    /// <summary>True when the values came with the request (not from a file): a host may name them as it took them.</summary>
    public bool FromRequest => Where is null;

    /// <summary>The message with each field named by <paramref name="nameOf"/>.</summary>
    public string MessageWith(Func<string, string> nameOf) => Format(Where, Errors, nameOf);

    private static string Format(string? where, IReadOnlyList<SettingError> errors, Func<string, string> nameOf) =>
        $"{(where is null ? "" : where + ": ")}{string.Join("; ", errors.Select(e => $"{nameOf(e.Field)} {e.Problem}"))}.";
}
