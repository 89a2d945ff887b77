namespace Skillmaker.Training;

/// <summary>A trained version as the JSON that train, train-all, jobs wait and the demo print.</summary>
public static class TrainJson
{
    public static object Of(TrainResult r) => new
    {
        skill = r.Package.Name,
        version = r.Package.Version,
        package = r.Directory,
        report = r.ReportPath,
        manifestId = r.Package.ManifestId,
        manifestCreated = r.ManifestCreated,
        head = r.Package.Head.Type,
        headSha256 = r.Package.Head.Sha256,
        labels = r.Package.Labels,
        profile = r.Package.Profile,
        threads = r.Package.Runtime.Threads,
        codeVersion = r.Package.CodeVersion,
        configHash = r.Package.ConfigHash,
        backboneSha256 = r.Package.Backbone.Sha256,
        training = r.Package.Training,
        metrics = r.Package.Metrics,
        embeddings = r.Embeddings,
        embeddingsOnWorkers = r.EmbeddingsOnWorkers,
        trainedOn = r.TrainedOn,
        seconds = new { embeddings = r.Embeddings.Seconds, head = r.HeadSeconds, evaluation = r.EvaluationSeconds, report = r.ReportSeconds, total = r.TotalSeconds },
        notifications = r.Notifications,
    };
}
