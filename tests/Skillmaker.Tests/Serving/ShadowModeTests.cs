using System.Net;
using System.Net.Http.Headers;
using System.Text.RegularExpressions;
using Skillmaker.Serving;

namespace Skillmaker.Tests.Serving;

/// <summary>Shadow mode on the real stack: with make v2 staged as the challenger, every answer still
/// comes from production v1, and v2's answers to the same crops are counted beside them.</summary>
[Collection(ServingCollection.Name)]
public sealed class ShadowModeTests(ServingFixture fixture)
{
    [Fact]
    public async Task Classify_StagingVersionInShadowMode_AnswersFromProductionAndCountsStagingAgreement()
    {
        var root = fixture.Clone();
        var staged = await CliRunner.RunAsync(root, "promote", "make@2", "--to", "staging", "--json");
        Assert.True(staged.ExitCode == 0, staged.Error);
        var config = ServingConfig.Load(fixture.CascadePath) with { Shadow = true, RefreshSeconds = 0.2 };
        var server = await ServingFixture.StartAsync(root, config);
        var photos = TestAssets.CarPhotos().Take(8).ToList();

        var shadowed = 0;
        var versions = new List<string>();
        try
        {
            // The staging set loads on the first refresh; answers before that have no shadow.
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (shadowed < photos.Count && DateTime.UtcNow < deadline)
            {
                foreach (var photo in photos)
                {
                    using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/classify") { Content = new ByteArrayContent(await File.ReadAllBytesAsync(photo)) };
                    request.Content.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
                    request.Headers.Add(ApiHeaders.ApiKey, fixture.Key);
                    using var response = await server.Client.SendAsync(request);
                    Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                    versions.Add(response.Headers.GetValues(ApiHeaders.SkillVersions).Single());
                }
                await Task.Delay(300);
                shadowed = ShadowAnswers(await server.Client.GetStringAsync("/metrics"));
            }
            // Let the queue drain so the metric and the stored counts cover the same answers.
            for (var last = -1; last != shadowed; await Task.Delay(500))
            {
                last = shadowed;
                shadowed = ShadowAnswers(await server.Client.GetStringAsync("/metrics"));
            }

        }
        finally
        {
            // Stopping the server writes what is still held in memory: the catalog has every counted answer.
            await server.DisposeAsync();
        }
        var promotion = await CliRunner.RunAsync(root, "promote", "make@2", "--dry-run", "--json");

        Assert.True(shadowed >= photos.Count, $"{shadowed} shadow answers counted");
        Assert.All(versions, v => Assert.StartsWith("make@1", v, StringComparison.Ordinal));
        var shadow = promotion.Json.GetProperty("decision").GetProperty("shadow");
        Assert.Equal(shadowed, shadow.GetProperty("answers").GetInt32());
        Assert.Equal(1, shadow.GetProperty("productionVersion").GetInt32());
        var check = Promotion.PromotionReading.Checks(promotion.Json)["shadow"];
        Assert.Contains($"shadow: {shadowed} answers beside production v1, agreement ", check.GetProperty("explanation").GetString());
        Assert.Contains("% CI ", check.GetProperty("explanation").GetString());
        Assert.True(check.GetProperty("passed").GetBoolean());
        // make is in the cascade, but this serving.json names no evaluation set: the cascade check says so.
        var cascade = Promotion.PromotionReading.Checks(promotion.Json)["cascade"];
        Assert.True(cascade.GetProperty("skipped").GetBoolean());
        Assert.StartsWith("skipped: no cascade evaluation set", cascade.GetProperty("explanation").GetString(), StringComparison.Ordinal);
    }

    /// <summary>Agree + disagree answers of make v2 in the Prometheus text.</summary>
    private static int ShadowAnswers(string metrics) =>
        Regex.Matches(metrics, @"^skillmaker_shadow_answers_total\{[^}]*skill=""make""[^}]*\} (\d+)", RegexOptions.Multiline)
            .Where(m => m.Value.Contains("staging_version=\"2\"", StringComparison.Ordinal) && !m.Value.Contains("dropped", StringComparison.Ordinal))
            .Sum(m => int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
}
