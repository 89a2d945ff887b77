using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.OpenApi;
using Skillmaker.Serving;

namespace Skillmaker.Server;

/// <summary>The served OpenAPI document (<c>/openapi/v1.json</c>): only the HTTP API — the operations put in
/// its group with <see cref="InApi{T}"/> (classify, readyz, healthz, metrics) — never the HTML pages and their
/// forms; the API key as an <c>apiKey</c> security scheme, required by the operations marked
/// <see cref="RequiresApiKey{T}"/> and explicitly not by the others, so generated clients send it.</summary>
public static class ApiDocument
{
    public const string Name = "v1";
    public const string SecurityScheme = "apiKey";
    public const string Tag = "inference";

    /// <summary>Marks an endpoint whose caller must send an API key.</summary>
    public sealed class ApiKeyMetadata;

    public static TBuilder InApi<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder => builder.WithGroupName(Name);

    public static TBuilder RequiresApiKey<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder => builder.WithMetadata(new ApiKeyMetadata());

    public static IServiceCollection AddApiDocument(this IServiceCollection services) => services.AddOpenApi(Name, o =>
    {
        // Pages carry no group name: only what joined the API's group is described.
        o.ShouldInclude = description => description.GroupName == Name;
        o.AddDocumentTransformer((document, context, ct) =>
        {
            document.Info = new OpenApiInfo
            {
                Title = "Skillmaker inference API",
                Version = Name,
                Description = "Classify vehicle photos with the workspace's production skills. Send the key from `skillmaker api-keys add NAME` "
                    + $"in the {ApiHeaders.ApiKey} header (or as `Authorization: Bearer KEY`).",
            };
            foreach (var server in document.Servers ?? []) server.Url = server.Url?.TrimEnd('/');
            document.Tags = new HashSet<OpenApiTag>
            {
                new() { Name = Tag, Description = "Classification and what operators need around it: readiness, health, metrics." },
            };
            document.Components ??= new OpenApiComponents();
            document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
            document.Components.SecuritySchemes[SecurityScheme] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.ApiKey,
                In = ParameterLocation.Header,
                Name = ApiHeaders.ApiKey,
                Description = "An API key from `skillmaker api-keys add NAME`; revoked keys are refused at once.",
            };
            return Task.CompletedTask;
        });
        o.AddOperationTransformer((operation, context, ct) =>
        {
            operation.Tags = new HashSet<OpenApiTagReference> { new(Tag, context.Document) };
            var keyed = context.Description.ActionDescriptor.EndpointMetadata.OfType<ApiKeyMetadata>().Any();
            // An empty list says "no authentication" explicitly, rather than leaving it unsaid.
            operation.Security = keyed ? [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(SecurityScheme, context.Document)] = [] }] : [];
            return Task.CompletedTask;
        });
    });
}
