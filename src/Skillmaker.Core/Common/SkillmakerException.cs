namespace Skillmaker.Common;

/// <summary>A failure the user can act on: the message names the problem and what was expected.
/// Commands print it without a stack trace.</summary>
public class SkillmakerException : Exception
{
    public SkillmakerException(string message) : base(message) { }
    public SkillmakerException(string message, Exception inner) : base(message, inner) { }
    public SkillmakerException() { }
}
