namespace Skillmaker.Serving;

/// <summary>The inference API's HTTP headers, shared by the server and its clients (the demo, tests).</summary>
public static class ApiHeaders
{
    public const string CodeVersion = "X-Skillmaker-Code-Version";
    public const string SkillVersions = "X-Skillmaker-Skill-Versions";
    public const string ApiKey = "X-Api-Key";
}
