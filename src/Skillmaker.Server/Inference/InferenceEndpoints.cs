using System.Diagnostics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
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
        var classify = app.MapPost("/v1/classify", ClassifyAsync)
            .InApi()
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
            .ProducesProblem(StatusCodes.Status408RequestTimeout)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status429TooManyRequests)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable)
            .DisableAntiforgery();
        if (app.ServiceProvider.GetRequiredService<ServingConfig>().RequireApiKey) classify.RequiresApiKey();
        app.MapGet("/readyz", (LiveSkills skills) => skills.IsReady
                ? Results.Ok(new { status = "ready", skills = skills.Versions, codeVersion = Common.BuildInfo.CodeVersion })
                : Results.Problem("The models are still loading.", statusCode: StatusCodes.Status503ServiceUnavailable, title: "Not ready"))
            .InApi()
            .WithName("Ready")
            .WithSummary("Ready when the detector and every skill of the cascade are loaded")
            .Produces(StatusCodes.Status200OK)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        app.MapGet("/metrics", async (HttpContext context, InferenceMetrics metrics, LiveSkills skills) =>
            {
                // Prometheus asks for OpenMetrics first; other scrapers get the classic text format.
                var openMetrics = context.Request.Headers.Accept.ToString().Contains("application/openmetrics-text", StringComparison.OrdinalIgnoreCase);
                context.Response.ContentType = openMetrics ? InferenceMetrics.OpenMetricsContentType : InferenceMetrics.TextContentType;
                await metrics.ExportAsync(context.Response.Body, skills.Versions, openMetrics, context.RequestAborted);
            })
            .InApi()
            .WithName("Metrics")
            .WithSummary("Prometheus metrics: request counts, refusals, latency histograms per skill")
            .WithDescription("The Prometheus text format, or OpenMetrics when the Accept header asks for application/openmetrics-text.")
            .Produces<string>(StatusCodes.Status200OK, "text/plain", "application/openmetrics-text");
    }

    private static async Task<IResult> ClassifyAsync(HttpContext context, ClassifyPipeline pipeline, ServingConfig config, ApiKeyCache keys, InferenceMetrics metrics, LiveSkills skills,
        InferenceGate gate, InferenceAdmission admission, TimeProvider time, ILoggerFactory logging)
    {
        var started = Stopwatch.GetTimestamp();
        var result = await AnswerAsync(context, pipeline, config, keys, skills, gate, admission, time, metrics, logging.CreateLogger("Skillmaker.Server.Classify"));
        context.Response.Headers[ApiHeaders.CodeVersion] = Common.BuildInfo.CodeVersion;
        if (result is IStatusCodeHttpResult { StatusCode: { } status }) metrics.CountRequest(status);
        metrics.ObserveRequest(Stopwatch.GetElapsedTime(started));
        return result;
    }

    private static async Task<IResult> AnswerAsync(HttpContext context, ClassifyPipeline pipeline, ServingConfig config, ApiKeyCache keys, LiveSkills skills, InferenceGate gate,
        InferenceAdmission admission, TimeProvider time, InferenceMetrics metrics, ILogger log)
    {
        var ct = context.RequestAborted;
        string? key = null;
        if (config.RequireApiKey)
        {
            key = context.Request.Headers[ApiHeaders.ApiKey].FirstOrDefault()
                ?? (context.Request.Headers.Authorization.FirstOrDefault() is { } auth && auth.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? auth[7..].Trim() : null);
            if (key is null)
                return Problem(StatusCodes.Status401Unauthorized, "API key required", $"Send your key in the {ApiHeaders.ApiKey} header or as 'Authorization: Bearer KEY'. Keys come from `skillmaker api-keys add NAME`.");
            if (!await keys.IsValidAsync(key, ct))
                return Problem(StatusCodes.Status401Unauthorized, "API key not accepted", "The key is unknown or has been revoked.");
        }
        if (!skills.IsReady) return Problem(StatusCodes.Status503ServiceUnavailable, "Not ready", "The models are still loading; retry shortly.");

        // Admission, all before a byte of the body is read: what is sent, its size, the queue, the
        // caller's share and the memory budget. A refused body is never buffered.
        var request = context.Request;
        var contentType = request.ContentType;
        if (contentType is null || !MediaTypeHeaderValue.TryParse(contentType, out var mediaType))
            return Refuse(metrics, "unsupported", Problem(StatusCodes.Status415UnsupportedMediaType, "Content type required", "Set Content-Type to image/jpeg, image/png, image/webp, application/octet-stream or multipart/form-data."));
        var type = mediaType.MediaType.Value ?? "";
        var multipart = type.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase);
        if (!multipart && !type.StartsWith("image/", StringComparison.OrdinalIgnoreCase) && !type.Equals("application/octet-stream", StringComparison.OrdinalIgnoreCase))
            return Refuse(metrics, "unsupported", Problem(StatusCodes.Status415UnsupportedMediaType, "Unsupported content type", $"Content-Type {type} is not accepted; send image/jpeg, image/png, image/webp, application/octet-stream or multipart/form-data."));
        var tooLarge = Problem(StatusCodes.Status413PayloadTooLarge, "Request too large", $"The body is over the limit of {config.MaxBytes:N0} bytes.");
        if (request.ContentLength > config.MaxBytes)
        {
            context.Response.Headers.Connection = "close";
            return Refuse(metrics, "too_large", tooLarge);
        }
        if (gate.IsFull) return Busy(context, metrics, "busy", $"{config.EffectiveMaxConcurrent} photos are being classified and {config.MaxQueued} are waiting; retry shortly.");
        var (ticket, refusal) = admission.TryAdmit(key, request.ContentLength ?? config.MaxBytes);
        if (refusal == AdmissionRefusal.PerKey)
        {
            context.Response.Headers.RetryAfter = "1";
            context.Response.Headers.Connection = "close";
            return Refuse(metrics, "per_key", Problem(StatusCodes.Status429TooManyRequests, "Too many requests",
                $"This API key already has {config.MaxInFlightPerKey} requests in flight; wait for their answers or retry after 1 s."));
        }
        if (ticket is null)
            return Busy(context, metrics, "memory", $"Requests in flight already hold {admission.BytesInFlight:N0} of {admission.Capacity:N0} bytes; retry shortly.");
        metrics.SetInFlightBytes(admission.BytesInFlight);
        try
        {
            byte[] bytes;
            // The whole body within the time allowed: a slow upload is 408, not a connection held forever.
            using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(config.BodyTimeoutSeconds), time))
            using (var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, timeout.Token))
            {
                IResult? problem;
                try
                {
                    (bytes, problem) = await ReadImageAsync(request, multipart, mediaType, config.MaxBytes, tooLarge, linked.Token);
                }
                catch (OperationCanceledException) when (timeout.IsCancellationRequested && !ct.IsCancellationRequested)
                {
                    (bytes, problem) = ([], Problem(StatusCodes.Status408RequestTimeout, "Upload too slow", $"The body did not arrive within {config.BodyTimeoutSeconds:0.#} s; send it faster or a smaller photo."));
                }
                catch (BadHttpRequestException ex)
                {
                    // Kestrel's own limits: 413 over the size, 408 below the minimum data rate, 400 malformed.
                    (bytes, problem) = ([], ex.StatusCode == StatusCodes.Status413PayloadTooLarge ? tooLarge
                        : Problem(ex.StatusCode, ex.StatusCode == StatusCodes.Status408RequestTimeout ? "Upload too slow" : "Malformed request", $"{ex.Message}."));
                }
                catch (IOException ex) when (!ct.IsCancellationRequested)
                {
                    // A body that ends before the form does (truncated multipart) or a broken chunked encoding.
                    (bytes, problem) = ([], Problem(StatusCodes.Status400BadRequest, "Malformed body", $"{ex.Message} Expected a complete photo or multipart/form-data form."));
                }
                if (problem is not null)
                {
                    var status = (problem as IStatusCodeHttpResult)?.StatusCode ?? 400;
                    var reason = status switch { 413 => "too_large", 408 => "timeout", 415 => "unsupported", _ => "malformed" };
                    if (status != 413) log.ClassifyRefused(status, context.Connection.RemoteIpAddress, (problem as ProblemHttpResult)?.ProblemDetails.Detail);
                    return Refuse(metrics, reason, problem);
                }
            }
            using var turn = await gate.EnterAsync(ct);
            if (turn is null) return Busy(context, metrics, "busy", $"{config.EffectiveMaxConcurrent} photos are being classified and {config.MaxQueued} are waiting; retry shortly.");
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
        finally
        {
            ticket.Dispose();
            metrics.SetInFlightBytes(admission.BytesInFlight);
        }
    }

    private static IResult Refuse(InferenceMetrics metrics, string reason, IResult problem)
    {
        metrics.CountRefused(reason);
        return problem;
    }

    private static IResult Busy(HttpContext context, InferenceMetrics metrics, string reason, string detail)
    {
        context.Response.Headers.RetryAfter = "1";
        // The body was never read: close rather than drain it to keep the connection.
        context.Response.Headers.Connection = "close";
        return Refuse(metrics, reason, Problem(StatusCodes.Status503ServiceUnavailable, "Busy", detail));
    }

    /// <summary>The image bytes from a raw body or the first file of a form, read as they stream in and
    /// never more than the byte limit; other form fields are skipped unread into memory.</summary>
    private static async Task<(byte[] Bytes, IResult? Refusal)> ReadImageAsync(HttpRequest request, bool multipart, MediaTypeHeaderValue mediaType, long maxBytes, IResult tooLarge, CancellationToken ct)
    {
        // Kestrel then stops reading a body that runs over, whatever the Content-Length said.
        if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit) limit.MaxRequestBodySize = maxBytes + 64 * 1024;
        if (!multipart) return await ReadAllAsync(request.Body, request.ContentLength, maxBytes, tooLarge, ct);

        var boundary = HeaderUtilities.RemoveQuotes(mediaType.Boundary).Value;
        if (string.IsNullOrWhiteSpace(boundary) || boundary.Length > 200)
            return ([], Problem(StatusCodes.Status400BadRequest, "Malformed form", "The multipart/form-data Content-Type has no usable boundary; let your HTTP client build the form (e.g. curl -F image=@photo.jpg)."));
        var reader = new MultipartReader(boundary, request.Body) { HeadersCountLimit = 16, HeadersLengthLimit = 16 * 1024 };
        const int MaxSections = 16;
        try
        {
            for (var sections = 0; sections < MaxSections; sections++)
            {
                var section = await reader.ReadNextSectionAsync(ct);
                if (section is null) break;
                if (ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition) && disposition.IsFileDisposition())
                    return await ReadAllAsync(section.Body, null, maxBytes, tooLarge, ct);
                // A plain field: read through (the reader discards it) without keeping it.
                await section.Body.CopyToAsync(Stream.Null, ct);
            }
        }
        catch (InvalidDataException ex)
        {
            return ([], Problem(StatusCodes.Status400BadRequest, "Malformed form", $"{ex.Message} Expected multipart/form-data with one image file."));
        }
        return ([], Problem(StatusCodes.Status400BadRequest, "No image", $"The form has no file within its first {MaxSections} fields; send the photo as a file field (e.g. curl -F image=@photo.jpg)."));
    }

    private static async Task<(byte[] Bytes, IResult? Refusal)> ReadAllAsync(Stream body, long? length, long maxBytes, IResult tooLarge, CancellationToken ct)
    {
        // Sized once from Content-Length when there is one (admission reserved exactly that).
        using var buffer = new MemoryStream(length is > 0 and var n && n <= maxBytes ? (int)n : 64 * 1024);
        var chunk = new byte[81920];
        int read;
        while ((read = await body.ReadAsync(chunk, ct)) > 0)
        {
            if (buffer.Length + read > maxBytes) return ([], tooLarge);
            buffer.Write(chunk, 0, read);
        }
        if (buffer.Length == 0) return ([], Problem(StatusCodes.Status400BadRequest, "Empty body", "The request carries no image; send the photo's bytes."));
        return (buffer.Length == buffer.Capacity ? buffer.GetBuffer() : buffer.ToArray(), null);
    }

    private static IResult Problem(int status, string title, string detail) => Results.Problem(detail, statusCode: status, title: title);
}
