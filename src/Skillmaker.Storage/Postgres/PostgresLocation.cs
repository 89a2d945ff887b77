using System.Text.RegularExpressions;
using Npgsql;
using Skillmaker.Common;

namespace Skillmaker.Storage.Postgres;

/// <summary>PostgreSQL locations as users write them (<c>postgres://user@host[:port]/database[?schema=name]</c>)
/// and connecting to them while the server may still be starting.</summary>
public static partial class PostgresLocation
{
    public static bool Handles(string location) =>
        location.StartsWith("postgres://", StringComparison.Ordinal) || location.StartsWith("postgresql://", StringComparison.Ordinal)
        || location.StartsWith("Host=", StringComparison.OrdinalIgnoreCase);

    /// <summary>The connection settings; <c>?schema=</c> becomes the search path, a missing password is taken
    /// from PGPASSWORD and a missing user from PGUSER (else postgres), read through <paramref name="environment"/>
    /// (default: the process environment; hosts pass it with their credentials file, see <see cref="Credentials"/>).</summary>
    public static NpgsqlConnectionStringBuilder Parse(string location, Func<string, string?>? environment = null)
    {
        environment ??= Environment.GetEnvironmentVariable;
        NpgsqlConnectionStringBuilder builder;
        if (location.StartsWith("Host=", StringComparison.OrdinalIgnoreCase)) builder = new NpgsqlConnectionStringBuilder(location);
        else
        {
            if (!Uri.TryCreate(location, UriKind.Absolute, out var uri) || uri.Host.Length == 0 || uri.AbsolutePath.Trim('/').Length == 0)
                throw new SkillmakerException($"'{RedactPassword(location)}' is not a PostgreSQL location; expected postgres://user@host[:port]/database[?schema=name].");
            var user = Uri.UnescapeDataString(uri.UserInfo.Split(':', 2)[0]);
            builder = new NpgsqlConnectionStringBuilder
            {
                Host = uri.Host,
                Port = uri.IsDefaultPort || uri.Port <= 0 ? 5432 : uri.Port,
                Database = Uri.UnescapeDataString(uri.AbsolutePath.Trim('/')),
                Username = user.Length > 0 ? user : environment("PGUSER") is { Length: > 0 } u ? u : "postgres",
                Timeout = 10,
                CommandTimeout = 120,
            };
            if (uri.UserInfo.Contains(':', StringComparison.Ordinal)) builder.Password = Uri.UnescapeDataString(uri.UserInfo.Split(':', 2)[1]);
            foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
            {
                var kv = pair.Split('=', 2);
                if (kv[0] == "schema" && kv.Length == 2) builder.SearchPath = Uri.UnescapeDataString(kv[1]);
            }
        }
        if (string.IsNullOrEmpty(builder.Password) && environment("PGPASSWORD") is { Length: > 0 } password) builder.Password = password;
        return builder;
    }

    /// <summary>The schema named by the location, checked to be a plain identifier (it is put into SQL).</summary>
    public static string Schema(NpgsqlConnectionStringBuilder builder, string fallback)
    {
        var schema = builder.SearchPath is { Length: > 0 } s ? s : fallback;
        if (!IdentifierPattern().IsMatch(schema))
            throw new SkillmakerException($"PostgreSQL schema '{schema}' is not a plain lower-case identifier (letters, digits, '_').");
        return schema;
    }

    /// <summary>Where, for messages: never the password.</summary>
    public static string Describe(NpgsqlConnectionStringBuilder builder, string schema) =>
        $"postgres://{builder.Username}@{builder.Host}:{builder.Port}/{builder.Database}?schema={schema}";

    /// <summary>Connects, retrying with doubling delays while the server is down or starting, then says
    /// clearly where it could not connect. Wrong logins and missing databases fail at once.</summary>
    public static async Task<NpgsqlConnection> OpenAsync(NpgsqlDataSource dataSource, string where, int attempts, TimeSpan firstDelay,
        Action<int, TimeSpan, string>? onRetry, TimeProvider time, CancellationToken cancellationToken)
    {
        var delay = firstDelay;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await dataSource.OpenConnectionAsync(cancellationToken);
            }
            catch (NpgsqlException ex) when (ex is not PostgresException && ex.Message.Contains("No password has been provided", StringComparison.Ordinal))
            {
                throw new SkillmakerException($"PostgreSQL at {where} asks for a password and none was given: set PGPASSWORD, or put PGPASSWORD=… in a credentials file " +
                    $"(.skillmaker/{Credentials.FileName} of the workspace, ~/.skillmaker/{Credentials.FileName} or ${Credentials.FileVariable}; mode 0600).", ex);
            }
            catch (NpgsqlException ex) when (ex.IsTransient || ex.InnerException is System.Net.Sockets.SocketException)
            {
                var reason = ex.InnerException?.Message ?? ex.Message;
                if (attempt >= attempts)
                    throw new SkillmakerException($"Cannot connect to PostgreSQL at {where} after {attempt} attempts: {reason}. Is the server running and reachable?", ex);
                onRetry?.Invoke(attempt, delay, reason);
                await Task.Delay(delay, time, cancellationToken);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(30).Ticks));
            }
            catch (PostgresException ex) when (ex.SqlState is "28P01" or "28000")
            {
                throw new SkillmakerException($"PostgreSQL at {where} rejected the login ({ex.MessageText}); check the user and PGPASSWORD.", ex);
            }
            catch (PostgresException ex) when (ex.SqlState == "3D000")
            {
                throw new SkillmakerException($"PostgreSQL at {where}: {ex.MessageText}. Create the database first (createdb).", ex);
            }
        }
    }

    public static string RedactPassword(string location) => PasswordPattern().Replace(location, "$1***@");

    [GeneratedRegex("^[a-z_][a-z0-9_]{0,62}$")]
    private static partial Regex IdentifierPattern();

    [GeneratedRegex(@"(://[^:/@]+:)[^@]+@")]
    private static partial Regex PasswordPattern();
}
