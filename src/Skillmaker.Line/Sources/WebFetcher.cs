using System.Buffers;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Skillmaker.Imaging;

namespace Skillmaker.Sources;

/// <summary>Downloads one URL at a time, carefully: every connection goes through the
/// <see cref="NetworkGuard"/>, redirects are followed by hand (each hop checked, loops caught), sizes
/// are enforced while streaming, images are sniffed from their first bytes, and only transient failures
/// are retried, with backoff. Failures come back as a reason, never as an exception (cancellation
/// aside). Thread-safe.</summary>
public sealed partial class WebFetcher : IDisposable
{
    /// <summary>Bytes looked at to tell an image from a page before downloading the rest.</summary>
    private const int SniffBytes = 512;

    private readonly HttpClient _client;
    private readonly SourceSettings _settings;
    private readonly long _maxImageBytes;
    private readonly TimeProvider _time;
    private readonly Random _jitter;
    private readonly ILogger _logger;

    /// <param name="maxImageBytes">Largest image (ingest.maxFileBytes): the same limit as local files.</param>
    /// <param name="seed">Seeds the retry jitter, so a run's waits repeat.</param>
    public WebFetcher(SourceSettings settings, NetworkGuard guard, long maxImageBytes, TimeProvider time, long seed, ILogger logger)
    {
        _settings = settings;
        _maxImageBytes = maxImageBytes;
        _time = time;
        _jitter = new Random(unchecked((int)seed ^ (int)(seed >> 32)));
        _logger = logger;
        _client = new HttpClient(CreateHandler(guard, settings), disposeHandler: true) { Timeout = Timeout.InfiniteTimeSpan };
        _client.DefaultRequestHeaders.UserAgent.ParseAdd(settings.UserAgent);
    }

    /// <summary>Fetches <paramref name="url"/>, following redirects that pass <paramref name="scope"/>.</summary>
    /// <param name="scopeName">Names the scope in refusals, e.g. "same host only".</param>
    public async Task<FetchResult> FetchAsync(Uri url, FetchKind kind, HostScope scope, string scopeName, CancellationToken cancellationToken)
    {
        var chain = new List<Uri>();
        var requests = 0;
        var current = url;
        while (true)
        {
            if (current.Scheme != Uri.UriSchemeHttp && current.Scheme != Uri.UriSchemeHttps)
                return Fail(RejectCode.Blocked, $"only http and https URLs are fetched, not {current.Scheme}:");
            if ((NetworkGuard.CheckHostName(current.Host) ?? scope.Check(current, scopeName)) is { } refused)
                return Fail(RejectCode.Blocked, chain.Count == 0 ? refused : $"redirected to {current}: {refused}");
            if (chain.Exists(u => u == current))
                return Fail(RejectCode.RedirectLoop, $"redirect loop: {string.Join(" -> ", chain.Append(current).Select(u => u.PathAndQuery))}");
            chain.Add(current);

            var (result, location, sent) = await SendWithRetriesAsync(url, current, kind, cancellationToken);
            requests += sent;
            if (location is null) return result! with { Requests = requests };
            if (chain.Count > _settings.MaxRedirects)
                return Fail(RejectCode.TooManyRedirects, $"more than {_settings.MaxRedirects} redirects (last to {location})");
            current = location;
        }

        FetchResult Fail(RejectCode code, string message) =>
            new() { Url = url, FinalUrl = current, Failure = new RejectReason(code, message), Requests = requests };
    }

    private async Task<(FetchResult? Result, Uri? Redirect, int Requests)> SendWithRetriesAsync(Uri original, Uri url, FetchKind kind, CancellationToken cancellationToken)
    {
        var attempts = Math.Max(1, _settings.MaxAttempts);
        for (var attempt = 1; ; attempt++)
        {
            var outcome = await SendOnceAsync(original, url, kind, cancellationToken);
            if (outcome.Redirect is not null || outcome.RetryReason is null) return (outcome.Result, outcome.Redirect, attempt);

            var wait = outcome.RetryAfter ?? Backoff(attempt);
            if (outcome.RetryAfter > TimeSpan.FromSeconds(_settings.MaxRetryAfterSeconds))
                return (Failed(original, url, outcome.StatusCode, outcome.RetryCode,
                    $"{outcome.RetryReason}; the server asks to retry after {outcome.RetryAfter.Value.TotalSeconds:0} s, longer than sources.maxRetryAfterSeconds ({_settings.MaxRetryAfterSeconds:0} s)"), null, attempt);
            if (attempt >= attempts)
                return (Failed(original, url, outcome.StatusCode, outcome.RetryCode, $"{outcome.RetryReason} ({attempt} attempt{(attempt == 1 ? "" : "s")})"), null, attempt);
            LogRetry(_logger, url, outcome.RetryReason, wait.TotalMilliseconds);
            await Task.Delay(wait, _time, cancellationToken);
        }
    }

    private readonly record struct Outcome(FetchResult? Result, Uri? Redirect, string? RetryReason, RejectCode RetryCode, int? StatusCode, TimeSpan? RetryAfter);

    private async Task<Outcome> SendOnceAsync(Uri original, Uri url, FetchKind kind, CancellationToken cancellationToken)
    {
        var timeout = TimeSpan.FromSeconds(_settings.RequestTimeoutSeconds);
        using var timeoutSource = new CancellationTokenSource(timeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeoutSource.Token);
        var ct = linked.Token;
        int? status = null;
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, url);
            request.Headers.Accept.ParseAdd(kind switch
            {
                FetchKind.Page => "text/html,application/xhtml+xml;q=0.9,*/*;q=0.1",
                FetchKind.Image => "image/jpeg,image/png,image/webp,image/gif,image/bmp;q=0.9,image/*;q=0.5",
                _ => "text/plain,*/*;q=0.1",
            });
            using var response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
            status = (int)response.StatusCode;

            if (status is >= 300 and < 400 && response.Headers.Location is { } location)
                return new Outcome(null, WithoutFragment(new Uri(url, location)), null, default, status, null);
            if (IsTransient(response.StatusCode))
                return new Outcome(null, null, $"HTTP {status} {response.ReasonPhrase}".TrimEnd(), RejectCode.HttpError, status, RetryAfter(response.Headers.RetryAfter));
            if (!response.IsSuccessStatusCode)
                return Done(Failed(original, url, status, response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Gone ? RejectCode.NotFound : RejectCode.HttpError,
                    $"HTTP {status} {response.ReasonPhrase}".TrimEnd()));

            var mediaType = response.Content.Headers.ContentType?.MediaType?.ToLowerInvariant();
            var charset = response.Content.Headers.ContentType?.CharSet;
            var (body, refusal) = await ReadBodyAsync(response, kind, mediaType, ct);
            return Done(new FetchResult
            {
                Url = original,
                FinalUrl = url,
                StatusCode = status,
                Body = body,
                MediaType = mediaType,
                Charset = charset,
                Failure = refusal,
            });
        }
        catch (OperationCanceledException) when (timeoutSource.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            return new Outcome(null, null, $"no complete response within {timeout.TotalSeconds:0.###} s (sources.requestTimeoutSeconds)", RejectCode.Timeout, status, null);
        }
        catch (HttpRequestException ex) when (FindBlocked(ex) is { } blocked)
        {
            return Done(Failed(original, url, null, RejectCode.Blocked, blocked.Message));
        }
        catch (HttpRequestException ex) when (ex.HttpRequestError == HttpRequestError.NameResolutionError || ex.InnerException is SocketException { SocketErrorCode: SocketError.HostNotFound })
        {
            return Done(Failed(original, url, null, RejectCode.NetworkError, $"host {url.Host} not found"));
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException)
        {
            // Refused, reset or cut off mid-body: worth another try.
            return new Outcome(null, null, $"connection failed: {Innermost(ex).Message}", RejectCode.NetworkError, status, null);
        }

        static Outcome Done(FetchResult result) => new(result, null, null, default, result.StatusCode, null);
    }

    private async Task<(byte[]? Body, RejectReason? Refusal)> ReadBodyAsync(HttpResponseMessage response, FetchKind kind, string? mediaType, CancellationToken ct)
    {
        var (max, limitName) = kind switch
        {
            FetchKind.Image => (_maxImageBytes, "ingest.maxFileBytes"),
            FetchKind.Page => (_settings.MaxPageBytes, "sources.maxPageBytes"),
            _ => (_settings.MaxRobotsBytes, "sources.maxRobotsBytes"),
        };
        if (response.Content.Headers.ContentLength is { } declared && declared > max)
            return (null, new RejectReason(RejectCode.TooLarge, $"the server announces {declared:N0} bytes, over the limit of {max:N0} ({limitName}); not downloaded"));
        if (kind == FetchKind.Page && mediaType is not null && !IsHtml(mediaType))
            return (null, new RejectReason(RejectCode.UnsupportedFormat, $"not an HTML page: the server sent {mediaType}"));

        using var buffer = new MemoryStream(response.Content.Headers.ContentLength is { } length and > 0 and < 4 * 1024 * 1024 ? (int)length : 64 * 1024);
        var chunk = ArrayPool<byte>.Shared.Rent(64 * 1024);
        var sniffed = kind != FetchKind.Image;
        try
        {
            await using var stream = await response.Content.ReadAsStreamAsync(ct);
            while (true)
            {
                var read = await stream.ReadAsync(chunk, ct);
                if (read == 0) break;
                if (buffer.Length + read > max)
                    return (null, new RejectReason(RejectCode.TooLarge, $"more than {max:N0} bytes ({limitName}); the download was stopped there"));
                buffer.Write(chunk, 0, read);
                if (!sniffed && buffer.Length >= SniffBytes)
                {
                    sniffed = true;
                    if (RefuseImage(buffer, mediaType) is { } refusal) return (null, refusal);
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }
        if (!sniffed && buffer.Length > 0 && RefuseImage(buffer, mediaType) is { } late) return (null, late);
        return (buffer.ToArray(), null);
    }

    /// <summary>The reason the first bytes are not a supported image, or null.</summary>
    private static RejectReason? RefuseImage(MemoryStream buffer, string? mediaType)
    {
        var head = buffer.GetBuffer().AsSpan(0, (int)Math.Min(buffer.Length, SniffBytes));
        var format = ImageFormatSniffer.Sniff(head);
        if (ImageFormatSniffer.Refusal(format) is not { } refusal) return null;
        var served = mediaType is null ? "no Content-Type" : $"Content-Type {mediaType}";
        if (format == ImageFormat.Text && (IsHtml(mediaType ?? "") || head.TrimStart(" \t\r\n"u8).StartsWith("<"u8)))
            return new RejectReason(RejectCode.NotAnImage, $"not an image: the server sent HTML ({served}); expected one of {ImageFormatSniffer.SupportedList}; the download was stopped");
        return refusal with { Message = $"{refusal.Message} ({served}); the download was stopped" };
    }

    private static bool IsHtml(string mediaType) => mediaType is "text/html" or "application/xhtml+xml";

    private static bool IsTransient(HttpStatusCode status) =>
        status is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests
        || ((int)status >= 500 && status is not (HttpStatusCode.NotImplemented or HttpStatusCode.HttpVersionNotSupported));

    private TimeSpan? RetryAfter(RetryConditionHeaderValue? header) => header switch
    {
        { Delta: { } delta } => delta,
        { Date: { } date } => date > _time.GetUtcNow() ? date - _time.GetUtcNow() : TimeSpan.Zero,
        _ => null,
    };

    private TimeSpan Backoff(int attempt)
    {
        double jitter;
        lock (_jitter) jitter = _jitter.NextDouble();
        return TimeSpan.FromSeconds(_settings.RetryDelaySeconds * Math.Pow(2, attempt - 1) * (1 + 0.25 * jitter));
    }

    private static FetchResult Failed(Uri original, Uri url, int? status, RejectCode code, string message) =>
        new() { Url = original, FinalUrl = url, StatusCode = status, Failure = new RejectReason(code, message) };

    private static Uri WithoutFragment(Uri url) => url.Fragment.Length == 0 ? url : new UriBuilder(url) { Fragment = "" }.Uri;

    private static BlockedAddressException? FindBlocked(Exception ex)
    {
        for (Exception? e = ex; e is not null; e = e.InnerException)
            if (e is BlockedAddressException blocked) return blocked;
        return null;
    }

    private static Exception Innermost(Exception ex)
    {
        while (ex.InnerException is not null) ex = ex.InnerException;
        return ex;
    }

    /// <summary>No proxy (it would connect on our behalf, past the guard), no cookies, no automatic
    /// redirects (each hop is checked), and every connection made by <see cref="NetworkGuard"/>-approved
    /// addresses only.</summary>
    private static SocketsHttpHandler CreateHandler(NetworkGuard guard, SourceSettings settings) => new()
    {
        AllowAutoRedirect = false,
        UseProxy = false,
        UseCookies = false,
        AutomaticDecompression = DecompressionMethods.All,
        ConnectTimeout = TimeSpan.FromSeconds(settings.ConnectTimeoutSeconds),
        PooledConnectionLifetime = TimeSpan.FromMinutes(2),
        ConnectCallback = async (context, ct) =>
        {
            var addresses = await guard.ResolveAsync(context.DnsEndPoint.Host, ct);
            SocketException? last = null;
            foreach (var address in addresses)
            {
                var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    await socket.ConnectAsync(new IPEndPoint(address, context.DnsEndPoint.Port), ct);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch (SocketException ex)
                {
                    socket.Dispose();
                    last = ex;
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            }
            throw last!;
        },
    };

    public void Dispose() => _client.Dispose();

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Url}: {Reason}; retrying in {DelayMs:0} ms")]
    private static partial void LogRetry(ILogger logger, Uri url, string reason, double delayMs);
}
