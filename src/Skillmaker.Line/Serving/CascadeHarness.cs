using Microsoft.Extensions.Logging;
using Skillmaker.Evaluation;
using Skillmaker.Registry;

namespace Skillmaker.Serving;

/// <summary>The cascade in this process exactly as <c>serve</c> runs it (the same detector, selection and
/// <see cref="ClassifyPipeline"/>), over the production versions, or with some skills pinned to other
/// versions: a candidate swapped in, for promotion's paired cascade check.</summary>
public sealed class CascadeHarness(InferenceSetup inference, IAliasRegistry registry, ILoggerFactory logging)
{
    public ServingConfig Config => inference.Config;

    /// <summary>Loads every cascade skill (production, or the version <paramref name="pinned"/> names);
    /// throws naming each skill that has none, as <c>serve</c> would refuse to start.</summary>
    public async Task<CascadeStack> OpenAsync(IReadOnlyDictionary<string, int>? pinned, CancellationToken cancellationToken)
    {
        IAliasRegistry aliases = pinned is { Count: > 0 } ? new PinnedAliases(registry, pinned) : registry;
        var skills = new LiveSkills(inference.Config.Skills, aliases, inference.Loader, logging.CreateLogger<LiveSkills>());
        try
        {
            await skills.LoadAsync(cancellationToken);
        }
        catch
        {
            skills.Dispose();
            throw;
        }
        return new CascadeStack(skills, new ClassifyPipeline(inference.Detector, inference.DetectorSettings, skills, inference.Config, new InferenceMetrics()));
    }

    /// <summary>Production's aliases, except that the pinned skills' production points at the pinned version.</summary>
    private sealed class PinnedAliases(IAliasRegistry inner, IReadOnlyDictionary<string, int> pinned) : IAliasRegistry
    {
        public async Task<int?> GetAliasAsync(string skill, string alias, CancellationToken cancellationToken) =>
            alias == Aliases.Production && pinned.TryGetValue(skill, out var v) ? v : await inner.GetAliasAsync(skill, alias, cancellationToken);

        public Task<IReadOnlyDictionary<string, int>> GetAliasesAsync(string skill, CancellationToken cancellationToken) => inner.GetAliasesAsync(skill, cancellationToken);

        public Task<AliasMove> MoveAliasAsync(string skill, string alias, int toVersion, string who, string why, DateTimeOffset at, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("The cascade harness never moves an alias.");

        public Task<IReadOnlyList<AliasMove>> GetHistoryAsync(string? skill, CancellationToken cancellationToken) => inner.GetHistoryAsync(skill, cancellationToken);

        public Task SetStatusAsync(VersionStatus status, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("The cascade harness never sets a status.");

        public Task<VersionStatus?> GetStatusAsync(string skill, int version, CancellationToken cancellationToken) => inner.GetStatusAsync(skill, version, cancellationToken);

        public Task SaveEvaluationAsync(EvaluationSummary summary, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("The cascade harness never saves an evaluation.");

        public Task<EvaluationSummary?> GetEvaluationAsync(string skill, int version, string manifestId, string? machine, CancellationToken cancellationToken) =>
            inner.GetEvaluationAsync(skill, version, manifestId, machine, cancellationToken);
    }
}

/// <summary>A loaded cascade: classifies photo bytes as <c>serve</c> answers them.</summary>
public sealed class CascadeStack(LiveSkills skills, ClassifyPipeline pipeline) : IDisposable
{
    /// <summary>The versions answering, e.g. {make: 2, audi-variant: 1}.</summary>
    public IReadOnlyDictionary<string, int> Versions => skills.Versions;

    public Task<ClassifyAnswer> ClassifyAsync(byte[] bytes, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(pipeline.Classify(bytes));
    }

    public void Dispose() => skills.Dispose();
}
