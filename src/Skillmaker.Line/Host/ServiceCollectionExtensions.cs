using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Skillmaker.Crowd;
using Skillmaker.Review;
using Skillmaker.Serving;

namespace Skillmaker.Host;

/// <summary>Hands the composition root's services to a DI container (the server's), so endpoints take
/// them as parameters; the services themselves are still built by <see cref="LineServices"/>.</summary>
public static class ServiceCollectionExtensions
{
    /// <summary>The workspace, its engines and what the pages use: users, crowd, review, crop boxes and image links.</summary>
    public static IServiceCollection AddSkillmaker(this IServiceCollection services, LineServices line, CrowdOptions crowd, SignedImageLinks imageLinks, ICropBoxSource? boxes = null)
    {
        services.AddSingleton(line).AddSingleton(line.Workspace).AddSingleton(line.Catalog).AddSingleton(line.Blobs).AddSingleton(line.Time);
        services.AddSingleton(line.UserStore).AddSingleton(line.Users());
        services.AddSingleton(line.CrowdStore).AddSingleton(line.Crowd(crowd));
        services.AddSingleton(line.ReviewStore).AddSingleton(line.Review());
        services.AddSingleton(boxes ?? line.CropBoxes());
        services.AddSingleton(imageLinks);
        return services;
    }

    /// <summary>The inference API's services: the live skill versions (kept fresh by a background refresher),
    /// the classification pipeline, its admission gate, metrics and API keys.</summary>
    public static IServiceCollection AddSkillmakerInference(this IServiceCollection services, LineServices line, InferenceSetup inference)
    {
        // Factories, so the container disposes what it made (the loaded skill versions).
        services.AddSingleton(inference.Config).AddSingleton(new InferenceMetrics());
        services.AddSingleton(_ => line.LiveSkills(inference));
        if (inference.Config.Shadow)
        {
            // The challengers: staging versions, kept fresh like production's, answering off the request path.
            services.AddKeyedSingleton(Registry.Aliases.Staging, (_, _) => line.LiveSkills(inference, Registry.Aliases.Staging));
            services.AddSingleton(sp => new ShadowRunner(sp.GetRequiredKeyedService<LiveSkills>(Registry.Aliases.Staging), sp.GetRequiredService<InferenceMetrics>(),
                line.Context.Logging.CreateLogger<ShadowRunner>(), line.ShadowStore, line.Time));
            services.AddHostedService(sp => sp.GetRequiredService<ShadowRunner>());
            services.AddHostedService(sp => new LiveSkillsRefresher(sp.GetRequiredKeyedService<LiveSkills>(Registry.Aliases.Staging), TimeSpan.FromSeconds(inference.Config.RefreshSeconds), line.Time,
                line.Context.Logging.CreateLogger<LiveSkillsRefresher>()));
        }
        services.AddSingleton(sp => LineServices.Classifier(inference, sp.GetRequiredService<LiveSkills>(), sp.GetRequiredService<InferenceMetrics>(),
            inference.Config.Shadow ? sp.GetRequiredService<ShadowRunner>() : null));
        services.AddSingleton(new InferenceGate(inference.Config)).AddSingleton(new InferenceAdmission(inference.Config));
        services.AddSingleton(new ApiKeyCache(line.ApiKeys(), line.Time, TimeSpan.FromSeconds(inference.Config.ApiKeyCacheSeconds)));
        services.AddHostedService(sp => new LiveSkillsRefresher(sp.GetRequiredService<LiveSkills>(), TimeSpan.FromSeconds(inference.Config.RefreshSeconds), line.Time,
            line.Context.Logging.CreateLogger<LiveSkillsRefresher>()));
        return services;
    }
}
