using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Skillmaker.Promotion;

namespace Skillmaker.Tests.Promotion;

public sealed class NotifierTests
{
    private static readonly Notification Sample = new(NotificationEvent.PromotionFailed, "makes", 7, "makes v7 was not promoted", "accuracy 50.0% < 61.0%");

    [Fact]
    public async Task SendAsync_WebhookOnLoopback_ReceivesJsonText()
    {
        using var listener = new HttpListener();
        var port = FreePort();
        listener.Prefixes.Add($"http://127.0.0.1:{port}/hook/");
        listener.Start();
        var received = Task.Run(async () =>
        {
            var context = await listener.GetContextAsync();
            using var reader = new StreamReader(context.Request.InputStream);
            var body = await reader.ReadToEndAsync();
            context.Response.StatusCode = 200;
            context.Response.Close();
            return (context.Request.HttpMethod, context.Request.ContentType, body);
        });
        using var http = new HttpClient();
        var notifier = new Notifier(new NotificationSettings { SlackWebhook = $"http://127.0.0.1:{port}/hook/" }, http, TimeProvider.System, _ => null, NullLogger<Notifier>.Instance);

        var results = await notifier.SendAsync(Sample, CancellationToken.None);

        var (method, contentType, body) = await received;
        Assert.Equal("POST", method);
        Assert.StartsWith("application/json", contentType);
        var json = JsonDocument.Parse(body).RootElement;
        Assert.Contains("makes v7 was not promoted", json.GetProperty("text").GetString());
        Assert.True(Assert.Single(results).Delivered);
    }

    [Fact]
    public async Task SendAsync_SmtpOnLoopback_MessageDelivered()
    {
        using var smtp = new TinySmtpServer();
        using var http = new HttpClient();
        var settings = new NotificationSettings { Email = new EmailSettings { SmtpHost = "127.0.0.1", Port = smtp.Port, Security = "none", From = "skillmaker@example.test", To = ["team@example.test"] } };
        var notifier = new Notifier(settings, http, TimeProvider.System, _ => null, NullLogger<Notifier>.Instance);

        var results = await notifier.SendAsync(Sample, CancellationToken.None);

        Assert.True(Assert.Single(results).Delivered, results[0].Error);
        var message = await smtp.Received.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Contains("RCPT TO:<team@example.test>", message.Envelope);
        Assert.Contains("Subject: makes v7 was not promoted", message.Data);
        Assert.Contains("accuracy 50.0% < 61.0%", message.Data);
    }

    [Fact]
    public async Task SendAsync_UnreachableWebhookAndSmtp_RetriesThenReportsWithoutThrowing()
    {
        var closed = FreePort();
        using var http = new HttpClient();
        var settings = new NotificationSettings
        {
            SlackWebhook = $"http://127.0.0.1:{closed}/hook",
            Email = new EmailSettings { SmtpHost = "127.0.0.1", Port = closed, Security = "none", From = "a@example.test", To = ["b@example.test"] },
            Attempts = 3,
            RetryDelayMs = 10,
        };
        var notifier = new Notifier(settings, http, TimeProvider.System, _ => null, NullLogger<Notifier>.Instance);

        var results = await notifier.SendAsync(Sample, CancellationToken.None);

        Assert.Equal(2, results.Count);
        Assert.All(results, r => Assert.False(r.Delivered));
        Assert.All(results, r => Assert.Equal(3, r.Attempts));
        Assert.All(results, r => Assert.False(string.IsNullOrEmpty(r.Error)));
    }

    [Fact]
    public async Task SendAsync_EventNotSubscribed_SendsNothing()
    {
        using var http = new HttpClient();
        var notifier = new Notifier(new NotificationSettings { SlackWebhook = "http://127.0.0.1:9/x", Events = [NotificationEvent.TrainFinished] }, http, TimeProvider.System, _ => null, NullLogger<Notifier>.Instance);

        Assert.Empty(await notifier.SendAsync(Sample, CancellationToken.None));
    }

    private static int FreePort()
    {
        using var socket = new TcpListener(IPAddress.Loopback, 0);
        socket.Start();
        return ((IPEndPoint)socket.LocalEndpoint).Port;
    }

    /// <summary>Just enough SMTP (RFC 5321) to accept one message on loopback.</summary>
    private sealed class TinySmtpServer : IDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);

        public TinySmtpServer()
        {
            _listener.Start();
            _ = Task.Run(ServeAsync);
        }

        public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;
        public TaskCompletionSource<(string Envelope, string Data)> Received { get; } = new();

        private async Task ServeAsync()
        {
            using var client = await _listener.AcceptTcpClientAsync();
            using var stream = client.GetStream();
            using var reader = new StreamReader(stream, Encoding.ASCII);
            await using var writer = new StreamWriter(stream, Encoding.ASCII) { NewLine = "\r\n", AutoFlush = true };
            var envelope = new StringBuilder();
            var data = new StringBuilder();
            await writer.WriteLineAsync("220 tiny ESMTP");
            while (await reader.ReadLineAsync() is { } line)
            {
                if (line.StartsWith("EHLO", StringComparison.OrdinalIgnoreCase)) { await writer.WriteLineAsync("250-tiny"); await writer.WriteLineAsync("250 8BITMIME"); }
                else if (line.StartsWith("HELO", StringComparison.OrdinalIgnoreCase)) await writer.WriteLineAsync("250 tiny");
                else if (line.StartsWith("MAIL", StringComparison.OrdinalIgnoreCase) || line.StartsWith("RCPT", StringComparison.OrdinalIgnoreCase)) { envelope.AppendLine(line); await writer.WriteLineAsync("250 OK"); }
                else if (line.StartsWith("DATA", StringComparison.OrdinalIgnoreCase))
                {
                    await writer.WriteLineAsync("354 go ahead");
                    while (await reader.ReadLineAsync() is { } d && d != ".") data.AppendLine(d);
                    await writer.WriteLineAsync("250 queued");
                    Received.TrySetResult((envelope.ToString(), data.ToString()));
                }
                else if (line.StartsWith("QUIT", StringComparison.OrdinalIgnoreCase)) { await writer.WriteLineAsync("221 bye"); break; }
                else await writer.WriteLineAsync("250 OK");
            }
        }

        public void Dispose() => _listener.Stop();
    }
}
