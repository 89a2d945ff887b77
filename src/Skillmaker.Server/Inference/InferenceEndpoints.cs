using System.Diagnostics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.Net.Http.Headers;
using Microsoft.OpenApi;
using Skillmaker.Detection;
using Skillmaker.Serving;

namespace Skillmaker.Server.Inference;

/// <summary>The inference API: <c>POST /v1/classify</c>, <c>/readyz</c>, <c>/metrics</c>.</summary>
public static class InferenceEndpoints
{
    public static void MapInference(this IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/classify", ClassifyAsync)
            .WithName("Classify")
            .WithSummary("Classify the vehicle in a photo")
            .WithDescription("Send the photo as the raw body (image/jpeg, image/png, image/webp, application/octet-stream) or as the first file of a multipart/form-data form. "
                + "The largest vehicle found is classified by each stage of the cascade; a stage whose top probability is below its threshold abstains and returns its top-k options.")
            // Described for OpenAPI only: Accepts metadata would make routing answer 415 itself,
            // without the problem details that say what to send.
            .AddOpenApiOperationTransformer((operation, context, ct) =>
            {
                var binary = new OpenApiSchema { Type = JsonSchemaType.String, Format = "binary" };
                operation.RequestBody = new OpenApiRequestBody
                {
                    Required = true,
                    Description = "The photo: raw bytes, or the first file of a form.",
                    Content = new Dictionary<string, OpenApiMediaType>
                    {
                        ["image/jpeg"] = new() { Schema = binary },
                        ["image/png"] = new() { Schema = binary },
                        ["image/webp"] = new() { Schema = binary },
                        ["application/octet-stream"] = new() { Schema = binary },
                        ["multipart/form-data"] = new()
                        {
                            Schema = new OpenApiSchema { Type = JsonSchemaType.Object, Properties = new Dictionary<string, IOpenApiSchema> { ["image"] = binary }, Required = new HashSet<string> { "image" } },
                        },
                    },
                };
                return Task.CompletedTask;
            })
            .Produces<ClassifyAnswer>()
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable)
            .DisableAntiforgery();
        app.MapGet("/readyz", (LiveSkills skills) => skills.IsReady
                ? Results.Ok(new { status = "ready", skills = skills.Versions, codeVersion = Common.BuildInfo.CodeVersion })
                : Results.Problem("The models are still loading.", statusCode: StatusCodes.Status503ServiceUnavailable, title: "Not ready"))
            .WithSummary("Ready when the detector and every skill of the cascade are loaded");
        app.MapGet("/metrics", async (HttpContext context, InferenceMetrics metrics, LiveSkills skills) =>
            {
                // Prometheus asks for OpenMetrics first; other scrapers get the classic text format.
                var openMetrics = context.Request.Headers.Accept.ToString().Contains("application/openmetrics-text", StringComparison.OrdinalIgnoreCase);
                context.Response.ContentType = openMetrics ? InferenceMetrics.OpenMetricsContentType : InferenceMetrics.TextContentType;
                await metrics.ExportAsync(context.Response.Body, skills.Versions, openMetrics, context.RequestAborted);
            })
            .WithSummary("Prometheus metrics: request counts, latency histograms per skill")
            .ExcludeFromDescription();
    }

    private static async Task<IResult> ClassifyAsync(HttpContext context, ClassifyPipeline pipeline, ServingConfig config, ApiKeyCache keys, InferenceMetrics metrics, LiveSkills skills, InferenceGate gate)
    {
        var started = Stopwatch.GetTimestamp();
        var result = await AnswerAsync(context, pipeline, config, keys, skills, gate);
        context.Response.Headers[ApiHeaders.CodeVersion] = Common.BuildInfo.CodeVersion;
        if (result is IStatusCodeHttpResult { StatusCode: { } status }) metrics.CountRequest(status);
        metrics.ObserveRequest(Stopwatch.GetElapsedTime(started));
        return result;
    }

    private static async Task<IResult> AnswerAsync(HttpContext context, ClassifyPipeline pipeline, ServingConfig config, ApiKeyCache keys, LiveSkills skills, InferenceGate gate)
    {
        var ct = context.RequestAborted;
        if (config.RequireApiKey)
        {
            var key = context.Request.Headers[ApiHeaders.ApiKey].FirstOrDefault()
                ?? (context.Request.Headers.Authorization.FirstOrDefault() is { } auth && auth.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? auth[7..].Trim() : null);
            if (key is null)
                return Problem(StatusCodes.Status401Unauthorized, "API key required", $"Send your key in the {ApiHeaders.ApiKey} header or as 'Authorization: Bearer KEY'. Keys come from `skillmaker api-keys add NAME`.");
            if (!await keys.IsValidAsync(key, ct))
                return Problem(StatusCodes.Status401Unauthorized, "API key not accepted", "The key is unknown or has been revoked.");
        }
        if (!skills.IsReady) return Problem(StatusCodes.Status503ServiceUnavailable, "Not ready", "The models are still loading; retry shortly.");

        var (bytes, refusal) = await ReadImageAsync(context.Request, config.MaxBytes, ct);
        if (refusal is not null) return refusal;
        using var turn = await gate.EnterAsync(ct);
        if (turn is null)
        {
            context.Response.Headers.RetryAfter = "1";
            return Problem(StatusCodes.Status503ServiceUnavailable, "Busy", $"{config.EffectiveMaxConcurrent} photos are being classified and {config.MaxQueued} are waiting; retry shortly.");
        }
        try
        {
            var wholeImage = context.Request.Query["wholeImage"].FirstOrDefault() is { } w && (w == "1" || w.Equals("true", StringComparison.OrdinalIgnoreCase));
            var answer = pipeline.Classify(bytes, wholeImage);
            context.Response.Headers[ApiHeaders.SkillVersions] = string.Join(", ", answer.Cascade.Select(s => $"{s.Skill}@{s.SkillVersion}"));
            return Results.Ok(answer);
        }
        catch (ImageTooLargeException ex)
        {
            return Problem(StatusCodes.Status413PayloadTooLarge, "Image too large", $"{ex.Message}; send a smaller image (at most {config.MaxPixels / 1e6:0.#} MP).");
        }
        catch (ImageDecodeException ex)
        {
            return Problem(StatusCodes.Status400BadRequest, "Not a usable image", $"{ex.Message}. Expected a JPEG, PNG, WebP, GIF or BMP photo.");
        }
    }

    /// <summary>The image bytes from a raw body or the first file of a form, within the byte limit.</summary>
    private static async Task<(byte[] Bytes, IResult? Refusal)> ReadImageAsync(HttpRequest request, long maxBytes, CancellationToken ct)
    {
        var tooLarge = Problem(StatusCodes.Status413PayloadTooLarge, "Request too large", $"The body is over the limit of {maxBytes:N0} bytes.");
        if (request.ContentLength > maxBytes) return ([], tooLarge);
        // Kestrel then stops reading a body that runs over, whatever the Content-Length said.
        if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit) limit.MaxRequestBodySize = maxBytes + 64 * 1024;
        var contentType = request.ContentType;
        if (contentType is null || !MediaTypeHeaderValue.TryParse(contentType, out var mediaType))
            return ([], Problem(StatusCodes.Status415UnsupportedMediaType, "Content type required", "Set Content-Type to image/jpeg, image/png, image/webp, application/octet-stream or multipart/form-data."));
        var type = mediaType.MediaType.Value ?? "";
        Stream body;
        if (type.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase))
        {
            IFormCollection form;
            try
            {
                form = await request.ReadFormAsync(new FormOptions { MultipartBodyLengthLimit = maxBytes, ValueCountLimit = 16 }, ct);
            }
            catch (InvalidDataException ex) when (ex.Message.Contains("limit", StringComparison.OrdinalIgnoreCase))
            {
                return ([], tooLarge);
            }
            catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
            {
                return ([], tooLarge);
            }
            catch (InvalidDataException ex)
            {
                return ([], Problem(StatusCodes.Status400BadRequest, "Malformed form", $"{ex.Message}. Expected multipart/form-data with one image file."));
            }
            if (form.Files.Count == 0) return ([], Problem(StatusCodes.Status400BadRequest, "No image", "The form has no file; send the photo as a file field (e.g. curl -F image=@photo.jpg)."));
            body = form.Files[0].OpenReadStream();
        }
        else if (type.StartsWith("image/", StringComparison.OrdinalIgnoreCase) || type.Equals("application/octet-stream", StringComparison.OrdinalIgnoreCase))
        {
            body = request.Body;
        }
        else
        {
            return ([], Problem(StatusCodes.Status415UnsupportedMediaType, "Unsupported content type", $"Content-Type {type} is not accepted; send image/jpeg, image/png, image/webp, application/octet-stream or multipart/form-data."));
        }

        await using (body)
        {
            using var buffer = new MemoryStream();
            var chunk = new byte[81920];
            int read;
            try
            {
                while ((read = await body.ReadAsync(chunk, ct)) > 0)
                {
                    if (buffer.Length + read > maxBytes) return ([], tooLarge);
                    buffer.Write(chunk, 0, read);
                }
            }
            catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
            {
                return ([], tooLarge);
            }
            if (buffer.Length == 0) return ([], Problem(StatusCodes.Status400BadRequest, "Empty body", "The request carries no image; send the photo's bytes."));
            return (buffer.ToArray(), null);
        }
    }

    private static IResult Problem(int status, string title, string detail) => Results.Problem(detail, statusCode: status, title: title);
}
