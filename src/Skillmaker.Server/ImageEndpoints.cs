using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using SkiaSharp;
using Skillmaker.Blobs;
using Skillmaker.Catalog;
using Skillmaker.Common;
using Skillmaker.Crowd;
using Skillmaker.Review;
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
            var image = await catalog.GetImageAsync(id, ct);
            if (image is null || image.Image.Kind != ImageKind.Crop)
                return Results.Problem("No such crop.", statusCode: StatusCodes.Status404NotFound);
            var bytes = await blobs.ReadAllBytesAsync(id, ct);
            var left = long.Parse(exp!, System.Globalization.CultureInfo.InvariantCulture) - time.GetUtcNow().ToUnixTimeSeconds();
            ctx.Response.Headers.CacheControl = $"private, max-age={Math.Max(0, left)}";
            return Results.Bytes(bytes, ContentType(image.Image.Format));
        });

        // The box is drawn into the thumbnail: it is right at any size, and the page needs no inline styles.
        app.MapGet("/img/parent/{cropId}/thumb", async (string cropId, ICatalog catalog, IBlobStore blobs, ICropBoxSource boxes, HttpContext ctx, CancellationToken ct) =>
        {
            var crop = await catalog.GetImageAsync(cropId, ct);
            if (crop is null || crop.Image.Kind != ImageKind.Crop || crop.Image.ParentId is null)
                return Results.Problem("No such crop, or it has no parent photo.", statusCode: StatusCodes.Status404NotFound);
            var bytes = await blobs.ReadAllBytesAsync(crop.Image.ParentId, ct);
            var box = await boxes.GetBoxAsync(cropId, ct);
            ctx.Response.Headers.CacheControl = "private, max-age=600";
            return Results.Bytes(Thumbnail(bytes, crop.Image.ParentId, 480, box), "image/jpeg");
        }).RequireAuthorization(Roles.ReviewPolicy);
        return app;
    }

    internal static byte[] Thumbnail(byte[] bytes, string what, int maxSide, CropBox? box)
    {
        using var bitmap = ImageDecoding.DecodeOriented(bytes, what);
        var scale = Math.Min(1.0, (double)maxSide / Math.Max(bitmap.Width, bitmap.Height));
        var info = new SKImageInfo(Math.Max(1, (int)Math.Round(bitmap.Width * scale)), Math.Max(1, (int)Math.Round(bitmap.Height * scale)));
        using var resized = bitmap.Resize(info, new SKSamplingOptions(SKCubicResampler.Mitchell)) ?? throw new SkillmakerException($"Could not resize {what}.");
        if (box is not null)
        {
            // Box coordinates are in the parent's oriented pixels, as recorded by detection.
            var sx = (float)info.Width / box.ParentWidth;
            var sy = (float)info.Height / box.ParentHeight;
            var rect = new SKRect(box.X * sx, box.Y * sy, (box.X + box.Width) * sx, (box.Y + box.Height) * sy);
            using var canvas = new SKCanvas(resized);
            using var dark = new SKPaint { Color = SKColors.Black, Style = SKPaintStyle.Stroke, StrokeWidth = 5, IsAntialias = true };
            using var bright = new SKPaint { Color = new SKColor(0xF5, 0x9E, 0x0B), Style = SKPaintStyle.Stroke, StrokeWidth = 3, IsAntialias = true };
            canvas.DrawRect(rect, dark);
            canvas.DrawRect(rect, bright);
        }
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
