using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using Skillmaker.Serving;

namespace Skillmaker.Tests.Serving;

[Collection(ServingCollection.Name)]
public sealed class PromotionWhileServingTests(ServingFixture fixture)
{
    [Fact]
    public async Task Promote_DuringAStreamOfRequests_DropsNoneAndSwitchesToTheNewVersion()
    {
        var root = fixture.Clone();
        await using var server = await ServingFixture.StartAsync(root);
        var photos = TestAssets.CarPhotos().Take(8).Select(File.ReadAllBytes).ToList();
        var seen = new ConcurrentBag<(HttpStatusCode Status, string Versions)>();
        using var stop = new CancellationTokenSource();
        var promoted = false;

        async Task ClientAsync(int id)
        {
            for (var i = id; !stop.IsCancellationRequested; i++)
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/classify") { Content = new ByteArrayContent(photos[i % photos.Count]) };
                request.Content.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
                request.Headers.Add(ApiHeaders.ApiKey, fixture.Key);
                using var response = await server.Client.SendAsync(request, CancellationToken.None);
                await response.Content.ReadAsByteArrayAsync(CancellationToken.None);
                seen.Add((response.StatusCode, response.Headers.TryGetValues(ApiHeaders.SkillVersions, out var v) ? v.Single() : ""));
            }
        }

        var clients = Enumerable.Range(0, 4).Select(ClientAsync).ToList();
        while (seen.Count < 12) await Task.Delay(20);
        var promote = await CliRunner.RunAsync(root, "promote", "make@2", "--force", "--reason", "serving test", "--json");
        promoted = promote.ExitCode == 0;
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!seen.Any(s => s.Versions.StartsWith("make@2", StringComparison.Ordinal)) && DateTime.UtcNow < deadline) await Task.Delay(20);
        var countAtSwitch = seen.Count;
        while (seen.Count < countAtSwitch + 12 && DateTime.UtcNow < deadline) await Task.Delay(20);
        await stop.CancelAsync();
        await Task.WhenAll(clients);

        Assert.True(promoted, promote.Error + promote.Out);
        Assert.All(seen, s => Assert.Equal(HttpStatusCode.OK, s.Status));
        Assert.Contains(seen, s => s.Versions.StartsWith("make@1", StringComparison.Ordinal));
        Assert.Contains(seen, s => s.Versions.StartsWith("make@2", StringComparison.Ordinal));
        var ready = await server.Client.GetStringAsync("/readyz");
        Assert.Contains("\"make\":2", ready);
    }
}
