using Skillmaker.Evaluation;

namespace Skillmaker.Tests.Evaluation;

public sealed class EvaluationMetricsTests
{
    private static readonly string[] Classes = ["a", "b", "c"];

    private static EvaluationSummary Summarize(params Prediction[] predictions) =>
        EvaluationMetrics.Summarize("s", 1, new string('0', 64), DateTimeOffset.UnixEpoch, "test", Classes, predictions);

    [Fact]
    public void Summarize_KnownPredictions_MetricsMatchHandComputation()
    {
        var summary = Summarize(
            new("1", 0, [0.8f, 0.1f, 0.1f], 10),
            new("2", 0, [0.3f, 0.6f, 0.1f], 20),
            new("3", 1, [0.1f, 0.7f, 0.2f], 30),
            new("4", 2, [0.5f, 0.1f, 0.4f], 40));

        Assert.Equal(0.5, summary.Accuracy);
        // Recall a = 1/2, b = 1/1, c = 0/1.
        Assert.Equal((0.5 + 1 + 0) / 3, summary.BalancedAccuracy, 10);
        Assert.Equal([0.5, 1.0, 1.0], summary.TopK);
        Assert.Equal([[1, 1, 0], [0, 1, 0], [1, 0, 0]], summary.ConfusionMatrix.Select(r => r.ToArray()).ToArray());
        var a = summary.PerClass[0];
        Assert.Equal((0.5, 0.5, 0.5, 2), (a.Precision, a.Recall, a.F1, a.Support));
        Assert.Equal(20, summary.LatencyP50Ms);
        Assert.Equal(40, summary.LatencyP95Ms);
        // Most confident mistakes first.
        Assert.Equal(["2", "4"], summary.Failures.Select(f => f.ImageId));
        Assert.Equal(("a", "b", 0.6f), (summary.Failures[0].TrueClass, summary.Failures[0].PredictedClass, (float)summary.Failures[0].PredictedProbability));
    }

    [Fact]
    public void CalibrationErrorOf_OverconfidentWrong_IsLarge()
    {
        Prediction[] overconfident = [new("1", 0, [0.05f, 0.95f, 0f], 1), new("2", 0, [0.05f, 0.95f, 0f], 1)];
        Prediction[] calibrated = [new("1", 0, [0.55f, 0.45f, 0f], 1), new("2", 1, [0.55f, 0.45f, 0f], 1)];

        Assert.Equal(0.95, EvaluationMetrics.CalibrationErrorOf(overconfident), 5);
        Assert.Equal(0.05, EvaluationMetrics.CalibrationErrorOf(calibrated), 5);
    }
}
