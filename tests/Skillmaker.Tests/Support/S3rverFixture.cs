using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Amazon.Runtime;
using Skillmaker.Storage.S3;

namespace Skillmaker.Tests.Support;

/// <summary>A real S3-compatible server (s3rver, installed by .ci/install-deps) on a free loopback port,
/// with its own data folder, for the tests of one class.</summary>
public sealed class S3rverFixture : IAsyncLifetime
{
    public const string Bucket = "skillmaker-test";
    public const string AccessKey = "S3RVER";
    public const string SecretKey = "S3RVER";
    private readonly TempDir _data = new("s3rver");
    private Process? _process;

    public string Endpoint { get; private set; } = "";

    public async Task InitializeAsync()
    {
        var binary = FindBinary();
        var port = FreePort();
        var start = new ProcessStartInfo(binary) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "-d", _data.Path, "-a", "127.0.0.1", "-p", port.ToString(), "--configure-bucket", Bucket, "--silent" }) start.ArgumentList.Add(a);
        _process = Process.Start(start) ?? throw new InvalidOperationException("s3rver did not start");
        Endpoint = $"http://127.0.0.1:{port}";
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, port);
                await Task.Delay(200); // let it finish creating the bucket
                return;
            }
            catch (SocketException)
            {
                if (_process.HasExited) throw new InvalidOperationException($"s3rver exited: {await _process.StandardError.ReadToEndAsync()}");
                await Task.Delay(100);
            }
        }
        throw new TimeoutException($"s3rver did not listen on {Endpoint} within 30 s");
    }

    /// <summary>What a Skillmaker process needs to reach this server: credentials and endpoint.</summary>
    public IReadOnlyDictionary<string, string> Environment => new Dictionary<string, string>
    {
        ["AWS_ACCESS_KEY_ID"] = AccessKey, ["AWS_SECRET_ACCESS_KEY"] = SecretKey, ["SKILLMAKER_S3_ENDPOINT"] = Endpoint,
    };

    public S3BlobStore Store(string prefix, string accessKey = AccessKey, string secretKey = SecretKey) =>
        new($"s3://{Bucket}/{prefix}", Endpoint, "us-east-1", forcePathStyle: true, new BasicAWSCredentials(accessKey, secretKey));

    /// <summary>Deletes a blob's object behind the store's back.</summary>
    public async Task DeleteAsync(S3BlobStore store, string sha256)
    {
        using var raw = RawClient();
        await raw.DeleteObjectAsync(Bucket, store.KeyOf(sha256));
    }

    /// <summary>A plain S3 client on this server, for doing what Skillmaker never does.</summary>
    public Amazon.S3.AmazonS3Client RawClient() =>
        new(new BasicAWSCredentials(AccessKey, SecretKey), new Amazon.S3.AmazonS3Config
        {
            ServiceURL = Endpoint, ForcePathStyle = true, AuthenticationRegion = "us-east-1", RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
        });

    public Task DisposeAsync()
    {
        if (_process is { HasExited: false }) _process.Kill(entireProcessTree: true);
        _process?.Dispose();
        _data.Dispose();
        return Task.CompletedTask;
    }

    private static string FindBinary()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, ".ci", "tools", "node_modules", ".bin", "s3rver");
            if (File.Exists(candidate)) return candidate;
        }
        throw new InvalidOperationException("s3rver is not installed; run .ci/install-deps (it installs s3rver into .ci/tools).");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
