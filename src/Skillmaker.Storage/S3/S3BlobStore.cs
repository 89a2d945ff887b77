using System.Net;
using System.Security.Cryptography;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Skillmaker.Blobs;
using Skillmaker.Common;

namespace Skillmaker.Storage.S3;

/// <summary>Blobs as S3 objects under <c>s3://bucket/prefix/ab/cd/abcd…</c>. Writes carry a Content-MD5
/// the server checks, so a corrupted upload is refused; reads are hashed and a blob whose bytes do not
/// match its name is reported, never used.</summary>
public sealed class S3BlobStore : IBlobStore, IDisposable
{
    private readonly AmazonS3Client _client;
    private readonly string _bucket;
    private readonly string _prefix;
    private readonly string _endpoint;

    public S3BlobStore(string location, string? endpoint, string region, bool forcePathStyle, AWSCredentials credentials)
    {
        (_bucket, _prefix) = ParseLocation(location);
        _endpoint = endpoint ?? $"AWS {region}";
        Location = location;
        var config = new AmazonS3Config
        {
            ForcePathStyle = forcePathStyle,
            AuthenticationRegion = region,
            // S3-compatible servers rarely understand streaming (aws-chunked) uploads and trailing checksums.
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
            MaxErrorRetry = 3,
            Timeout = TimeSpan.FromSeconds(60),
        };
        if (endpoint is not null) config.ServiceURL = endpoint;
        else config.RegionEndpoint = Amazon.RegionEndpoint.GetBySystemName(region);
        _client = new AmazonS3Client(credentials, config);
    }

    public string Location { get; }

    public static (string Bucket, string Prefix) ParseLocation(string location)
    {
        if (!location.StartsWith("s3://", StringComparison.Ordinal))
            throw new SkillmakerException($"'{location}' is not an S3 location; expected s3://bucket/prefix.");
        var rest = location["s3://".Length..].Trim('/');
        var slash = rest.IndexOf('/', StringComparison.Ordinal);
        var bucket = slash < 0 ? rest : rest[..slash];
        if (bucket.Length is < 3 or > 63)
            throw new SkillmakerException($"'{location}' names bucket '{bucket}'; S3 bucket names have 3 to 63 characters.");
        return (bucket, slash < 0 ? "" : rest[(slash + 1)..] + "/");
    }

    public string KeyOf(string sha256)
    {
        if (!Sha256Hex.IsValid(sha256))
            throw new ArgumentException($"'{sha256}' is not a blob name; expected 64 lower-case hex characters.", nameof(sha256));
        return $"{_prefix}{sha256[..2]}/{sha256[2..4]}/{sha256}";
    }

    /// <summary>Lists at most one object under the prefix: fails with what to fix when the bucket is missing,
    /// the server is unreachable or the credentials are refused (a HEAD of a missing blob says none of that).</summary>
    public async Task CheckAsync(CancellationToken cancellationToken)
    {
        try
        {
            await _client.ListObjectsV2Async(new ListObjectsV2Request { BucketName = _bucket, Prefix = _prefix, MaxKeys = 1 }, cancellationToken);
        }
        catch (AmazonS3Exception ex) when (ex.StatusCode == HttpStatusCode.NotFound)
        {
            throw new SkillmakerException($"Bucket '{_bucket}' does not exist at {_endpoint}; create it first (aws s3 mb s3://{_bucket}) or name another in --blobs.", ex);
        }
        catch (Exception ex) when (Translate(ex) is { } clear)
        {
            throw clear;
        }
    }

    public async Task<bool> ExistsAsync(string sha256, CancellationToken cancellationToken)
    {
        try
        {
            await _client.GetObjectMetadataAsync(_bucket, KeyOf(sha256), cancellationToken);
            return true;
        }
        catch (AmazonS3Exception ex) when (ex.StatusCode == HttpStatusCode.NotFound && ex.ErrorCode is "NotFound" or "NoSuchKey")
        {
            return false;
        }
        catch (Exception ex) when (Translate(ex) is { } clear)
        {
            throw clear;
        }
    }

    public async Task<bool> PutAsync(string sha256, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        var actual = Sha256Hex.Of(content.Span);
        if (actual != sha256)
            throw new ArgumentException($"Content hashes to {actual}, not to the blob name {sha256}; nothing was written.", nameof(sha256));
        if (await ExistsAsync(sha256, cancellationToken)) return false;
        try
        {
            using var body = new MemoryStream(content.ToArray(), writable: false);
            await _client.PutObjectAsync(new PutObjectRequest
            {
                BucketName = _bucket,
                Key = KeyOf(sha256),
                InputStream = body,
#pragma warning disable CA5351 // Content-MD5 is S3's transfer integrity check, not a security hash; names are SHA-256.
                MD5Digest = Convert.ToBase64String(MD5.HashData(content.Span)),
#pragma warning restore CA5351
                UseChunkEncoding = false,
                ContentType = "application/octet-stream",
                Metadata = { ["sha256"] = sha256 },
            }, cancellationToken);
            return true;
        }
        catch (Exception ex) when (Translate(ex) is { } clear)
        {
            throw clear;
        }
    }

    public async Task<byte[]> ReadAllBytesAsync(string sha256, CancellationToken cancellationToken)
    {
        byte[] bytes;
        try
        {
            using var response = await _client.GetObjectAsync(_bucket, KeyOf(sha256), cancellationToken);
            using var buffer = new MemoryStream();
            await response.ResponseStream.CopyToAsync(buffer, cancellationToken);
            bytes = buffer.ToArray();
        }
        catch (AmazonS3Exception ex) when (ex.StatusCode == HttpStatusCode.NotFound && ex.ErrorCode is "NoSuchKey" or "NotFound")
        {
            throw new BlobNotFoundException(sha256, Location);
        }
        catch (Exception ex) when (Translate(ex) is { } clear)
        {
            throw clear;
        }
        var actual = Sha256Hex.Of(bytes);
        if (actual != sha256) throw new BlobCorruptException(sha256, actual, Location);
        return bytes;
    }

    /// <summary>Turns SDK failures into messages that say what to fix.</summary>
    private SkillmakerException? Translate(Exception ex) => ex switch
    {
        AmazonS3Exception { ErrorCode: "InvalidAccessKeyId" or "SignatureDoesNotMatch" or "InvalidToken" or "ExpiredToken" } s3 =>
            new SkillmakerException($"S3 at {_endpoint} rejected the credentials ({s3.ErrorCode}); check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.", ex),
        // A HEAD answer has no body, so a bad key and a missing permission both arrive as a bare 403.
        AmazonS3Exception { StatusCode: HttpStatusCode.Forbidden, ErrorCode: "Forbidden" } =>
            new SkillmakerException($"S3 at {_endpoint} refused access to bucket '{_bucket}' (403); check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, and that they may read and write {Location}.", ex),
        AmazonS3Exception { ErrorCode: "AccessDenied" } =>
            new SkillmakerException($"S3 at {_endpoint} denied access to bucket '{_bucket}'; the credentials need read and write permission on {Location}.", ex),
        AmazonS3Exception { ErrorCode: "NoSuchBucket" } =>
            new SkillmakerException($"Bucket '{_bucket}' does not exist at {_endpoint}; create it or fix 'blobs' in the workspace config.", ex),
        AmazonS3Exception { ErrorCode: "BadDigest" or "InvalidDigest" } =>
            new SkillmakerException($"S3 at {_endpoint} refused an upload whose bytes changed on the way (Content-MD5 mismatch); nothing was stored. Retry.", ex),
        HttpRequestException or AmazonServiceException { InnerException: HttpRequestException } =>
            new SkillmakerException($"Cannot reach S3 at {_endpoint}: {ex.Message}", ex),
        _ => null,
    };

    public void Dispose() => _client.Dispose();
}
