namespace Skillmaker.Promotion;

/// <summary>Events people can be told about.</summary>
public enum NotificationEvent { TrainFinished, PromotionPassed, PromotionFailed }

public sealed record Notification(NotificationEvent Event, string Skill, int Version, string Title, string Body)
{
    /// <summary>A file sent with the message (the model report): attached to the email, named in the webhook post.</summary>
    public string? AttachmentPath { get; init; }
}

/// <summary>Where notifications go; the <c>notify</c> section of a skill config or workspace config.
/// Nothing configured means nothing is sent.</summary>
public sealed record NotificationSettings
{
    /// <summary>Slack-compatible incoming webhook URL (a JSON POST with a <c>text</c> field).</summary>
    public string? SlackWebhook { get; init; }

    public EmailSettings? Email { get; init; }

    /// <summary>Which events to send. Default: all.</summary>
    public IReadOnlyList<NotificationEvent> Events { get; init; } = Enum.GetValues<NotificationEvent>();

    /// <summary>Attempts per channel before giving up (and logging). Default 3.</summary>
    public int Attempts { get; init; } = 3;

    /// <summary>Wait before the first retry, doubled each time. Default 500 ms.</summary>
    public int RetryDelayMs { get; init; } = 500;

    /// <summary>Per-attempt timeout. Default 10 s.</summary>
    public int TimeoutMs { get; init; } = 10_000;
}

public sealed record EmailSettings
{
    public required string SmtpHost { get; init; }
    /// <summary>Default 587.</summary>
    public int Port { get; init; } = 587;
    /// <summary>STARTTLS when the server offers it (default), none, or implicit TLS.</summary>
    public string Security { get; init; } = "auto";
    public required string From { get; init; }
    public required IReadOnlyList<string> To { get; init; }
    public string? Username { get; init; }
    /// <summary>Name of the environment variable holding the password (never the password itself).</summary>
    public string? PasswordEnvironmentVariable { get; init; }
}
