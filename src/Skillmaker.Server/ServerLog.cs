using System.Net;
using Microsoft.Extensions.Logging;

namespace Skillmaker.Server;

/// <summary>The server's own log lines: client mistakes at Warning, one line each, no stack traces.</summary>
internal static partial class ServerLog
{
    [LoggerMessage(Level = LogLevel.Warning, Message = "{Method} {Path} {Status}: {Message}")]
    public static partial void ClientError(this ILogger logger, string method, string path, int status, string message);

    [LoggerMessage(Level = LogLevel.Warning, Message = "classify {Status} from {Remote}: {Detail}")]
    public static partial void ClassifyRefused(this ILogger logger, int status, IPAddress? remote, string? detail);
}
