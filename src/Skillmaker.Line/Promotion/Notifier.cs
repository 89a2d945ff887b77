using System.Net.Http.Json;
using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.Extensions.Logging;
using MimeKit;

namespace Skillmaker.Promotion;

public sealed record DeliveryResult(string Channel, bool Delivered, int Attempts, string? Error);

/// <summary>Sends a notification to every configured channel. Failing to notify never fails the run:
/// each channel is retried with backoff, then the failure is logged and reported in the result.</summary>
public sealed partial class Notifier(NotificationSettings settings, HttpClient http, TimeProvider time, Func<string, string?> environment, ILogger<Notifier> logger)
{
    public async Task<IReadOnlyList<DeliveryResult>> SendAsync(Notification notification, CancellationToken cancellationToken)
    {
        if (!settings.Events.Contains(notification.Event)) return [];
        var results = new List<DeliveryResult>();
        if (settings.SlackWebhook is { Length: > 0 } url)
            results.Add(await DeliverAsync("slack", ct => PostWebhookAsync(url, notification, ct), cancellationToken));
        if (settings.Email is { } email)
            results.Add(await DeliverAsync("email", ct => SendEmailAsync(email, notification, ct), cancellationToken));
        return results;
    }

    private async Task<DeliveryResult> DeliverAsync(string channel, Func<CancellationToken, Task> send, CancellationToken cancellationToken)
    {
        string? error = null;
        var attempts = Math.Max(1, settings.Attempts);
        for (var attempt = 1; attempt <= attempts; attempt++)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromMilliseconds(settings.TimeoutMs));
            try
            {
                await send(timeout.Token);
                return new DeliveryResult(channel, true, attempt, null);
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                error = ex is OperationCanceledException ? $"timed out after {settings.TimeoutMs} ms" : ex.Message;
                LogAttemptFailed(channel, attempt, attempts, error);
                if (attempt < attempts)
                    await Task.Delay(TimeSpan.FromMilliseconds(settings.RetryDelayMs * Math.Pow(2, attempt - 1)), time, cancellationToken);
            }
        }
        LogGaveUp(channel, error ?? "unknown error");
        return new DeliveryResult(channel, false, attempts, error);
    }

    private async Task PostWebhookAsync(string url, Notification n, CancellationToken ct)
    {
        var text = $"*{n.Title}*\n{n.Body}" + (n.AttachmentPath is { } report ? $"\nReport: {report}" : "");
        using var response = await http.PostAsJsonAsync(url, new { text, skill = n.Skill, version = n.Version, @event = n.Event.ToString(), report = n.AttachmentPath }, ct);
        if (!response.IsSuccessStatusCode)
            throw new HttpRequestException($"webhook answered {(int)response.StatusCode} {response.ReasonPhrase}");
    }

    private async Task SendEmailAsync(EmailSettings email, Notification n, CancellationToken ct)
    {
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse(email.From));
        foreach (var to in email.To) message.To.Add(MailboxAddress.Parse(to));
        message.Subject = n.Title;
        var body = new BodyBuilder { TextBody = n.Body };
        if (n.AttachmentPath is { } attachment && File.Exists(attachment))
            await body.Attachments.AddAsync(attachment, ct);
        message.Body = body.ToMessageBody();
        using var client = new SmtpClient();
        var security = email.Security switch
        {
            "none" => SecureSocketOptions.None,
            "tls" => SecureSocketOptions.SslOnConnect,
            _ => SecureSocketOptions.StartTlsWhenAvailable,
        };
        await client.ConnectAsync(email.SmtpHost, email.Port, security, ct);
        if (email.Username is { } user)
        {
            var password = email.PasswordEnvironmentVariable is { } variable ? environment(variable) : null;
            await client.AuthenticateAsync(user, password ?? throw new InvalidOperationException($"email.username is set but ${email.PasswordEnvironmentVariable ?? "(passwordEnvironmentVariable)"} is empty"), ct);
        }
        await client.SendAsync(message, ct);
        await client.DisconnectAsync(quit: true, ct);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Notification via {Channel} failed (attempt {Attempt} of {Attempts}): {Error}")]
    private partial void LogAttemptFailed(string channel, int attempt, int attempts, string error);

    [LoggerMessage(Level = LogLevel.Error, Message = "Notification via {Channel} was not delivered: {Error}. The run itself is not affected.")]
    private partial void LogGaveUp(string channel, string error);
}
