namespace Skillmaker.Common;

/// <summary>A failure the user can act on: the message names the problem and what was expected.
/// Commands print it without a stack trace.</summary>
public class SkillmakerException : Exception
{
    public SkillmakerException(string message) : base(message) { }
    public SkillmakerException(string message, Exception inner) : base(message, inner) { }
    public SkillmakerException() { }
}

/// <summary>The action exists but this user may not take it (e.g. undoing another expert's review); the
/// server answers 403.</summary>
public class NotAllowedException : SkillmakerException
{
    public NotAllowedException(string message) : base(message) { }
    public NotAllowedException(string message, Exception inner) : base(message, inner) { }
    public NotAllowedException() { }
}
