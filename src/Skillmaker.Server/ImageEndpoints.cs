using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using SkiaSharp;
using Skillmaker.Blobs;
using Skillmaker.Catalog;
using Skillmaker.Common;
using Skillmaker.Crowd;
using Skillmaker.Vision.Imaging;

namespace Skillmaker.Server;

/// <summary>Images are never public: a crop needs a valid signed link; a parent photo's thumbnail
/// needs a signed-in reviewer. Nothing here serves an original photo at full size.</summary>
public static class ImageEndpoints
{
    public static IEndpointRouteBuilder MapImages(this IEndpointRouteBuilder app)
    {
        app.MapGet("/img/crop/{id}", async (string id, string? exp, string? sig, SignedImageLinks links, ICatalog catalog, IBlobStore blobs, TimeProvider time, HttpContext ctx, CancellationToken ct) =>
        {
            switch (links.Check(id, exp, sig))
            {
                case LinkCheck.BadSignature:
                    return Results.Problem("The image link is not valid (missing or altered signature).", statusCode: StatusCodes.Status403Forbidden, title: "Invalid image link");
                case LinkCheck.Expired:
                    return Results.Problem("The image link has expired; reload the page or ask for a new export.", statusCode: StatusCodes.Status403Forbidden, title: "Expired image link");
            }
            var image = await catalog.GetImageAsync(id, ct).ConfigureAwait(false);
            if (image is null || image.Image.Kind != ImageKind.Crop)
                return Results.Problem("No such crop.", statusCode: StatusCodes.Status404NotFound);
            var bytes = await blobs.ReadAllBytesAsync(id, ct).ConfigureAwait(false);
            var left = long.Parse(exp!, System.Globalization.CultureInfo.InvariantCulture) - time.GetUtcNow().ToUnixTimeSeconds();
            ctx.Response.Headers.CacheControl = $"private, max-age={Math.Max(0, left)}";
            return Results.Bytes(bytes, ContentType(image.Image.Format));
        });

        app.MapGet("/img/parent/{cropId}/thumb", async (string cropId, ICatalog catalog, IBlobStore blobs, CancellationToken ct) =>
        {
            var crop = await catalog.GetImageAsync(cropId, ct).ConfigureAwait(false);
            if (crop is null || crop.Image.Kind != ImageKind.Crop || crop.Image.ParentId is null)
                return Results.Problem("No such crop, or it has no parent photo.", statusCode: StatusCodes.Status404NotFound);
            var bytes = await blobs.ReadAllBytesAsync(crop.Image.ParentId, ct).ConfigureAwait(false);
            return Results.Bytes(Thumbnail(bytes, crop.Image.ParentId, 360), "image/jpeg");
        }).RequireAuthorization(Roles.ReviewPolicy);
        return app;
    }

    internal static byte[] Thumbnail(byte[] bytes, string what, int maxSide)
    {
        using var bitmap = ImageDecoding.DecodeOriented(bytes, what);
        var scale = Math.Min(1.0, (double)maxSide / Math.Max(bitmap.Width, bitmap.Height));
        var info = new SKImageInfo(Math.Max(1, (int)Math.Round(bitmap.Width * scale)), Math.Max(1, (int)Math.Round(bitmap.Height * scale)));
        using var resized = bitmap.Resize(info, new SKSamplingOptions(SKCubicResampler.Mitchell)) ?? throw new SkillmakerException($"Could not resize {what}.");
        using var image = SKImage.FromBitmap(resized);
        using var data = image.Encode(SKEncodedImageFormat.Jpeg, 80);
        return data.ToArray();
    }

    private static string ContentType(string format) => format switch
    {
        "jpeg" => "image/jpeg",
        "png" => "image/png",
        "webp" => "image/webp",
        "gif" => "image/gif",
        "bmp" => "image/bmp",
        _ => "application/octet-stream",
    };
}
