using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Skillmaker.Host;
using Skillmaker.Serving;
using Skillmaker.Workspaces;

namespace Skillmaker.Bench;

/// <summary>The server's memory under a burst of large uploads (issue 22, finding 1): the server program
/// runs as a child process (so its resident memory is its own), and N clients with one valid key post a
/// body just under the 16 MiB limit at the same moment. Reports the server's RSS before, its peak, and
/// after the burst, with the answers by status. Target: peak ≤ baseline + (maxInFlightBytes + 1 MiB of Kestrel input buffer per connection) + 10%, back near the baseline after the burst, and
/// every refusal a 429/503 with Retry-After or a 4xx, never 500.
/// Arguments: [requests=100] [maxInFlightMiB=256].</summary>
internal static class ServeBurstBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        var requests = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 100;
        var budgetMiB = args.Length > 1 ? long.Parse(args[1], CultureInfo.InvariantCulture) : 256;
        var assets = BenchSupport.Assets();
        var root = Path.Combine(Path.GetTempPath(), $"sm-bench-burst-{Guid.NewGuid():N}");
        Process? server = null;
        try
        {
            var workspace = await Workspace.InitAsync(root, 20261203, CancellationToken.None);
            string key, servingPath;
            await using (var line = await LineServices.OpenAsync(workspace, BenchSupport.Context(assets), CancellationToken.None))
            {
                var skill = await ServeBenchmark.TrainAndPromoteAsync(line, assets);
                (_, key) = await line.ApiKeys().AddAsync("bench", CancellationToken.None);
                servingPath = Path.Combine(workspace.StateDirectory, ServingConfig.DefaultFileName);
                // No per-key share, so the byte budget is what holds.
                await File.WriteAllTextAsync(servingPath, $$"""{ "cascade": { "skill": "{{skill}}" }, "maxInFlightPerKey": 0, "maxInFlightBytes": {{budgetMiB << 20}} }""");
            }

            var port = FreePort();
            var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "skillmaker-server.dll"), "--workspace", root, "--urls", $"http://127.0.0.1:{port}", "--cascade", servingPath })
                info.ArgumentList.Add(a);
            info.Environment["SKILLMAKER_ASSETS"] = assets;
            server = Process.Start(info)!;
            _ = server.StandardOutput.ReadToEndAsync();
            _ = server.StandardError.ReadToEndAsync();
            var address = new Uri($"http://127.0.0.1:{port}");
            using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = requests + 8 }) { BaseAddress = address, Timeout = TimeSpan.FromMinutes(2) };
            await WaitReadyAsync(http, server);
            await Task.Delay(TimeSpan.FromSeconds(2));
            var baseline = Rss(server.Id);

            var body = new byte[(16 << 20) - 1024];
            new Random(22).NextBytes(body);
            var peak = baseline;
            using var sampling = new CancellationTokenSource();
            var sampler = Task.Run(async () =>
            {
                while (!sampling.IsCancellationRequested)
                {
                    peak = Math.Max(peak, Rss(server.Id));
                    await Task.Delay(20);
                }
            });
            var clock = Stopwatch.StartNew();
            var statuses = await Task.WhenAll(Enumerable.Range(0, requests).Select(async _ =>
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/classify") { Content = new ByteArrayContent(body) };
                request.Content.Headers.ContentType = new("image/jpeg");
                request.Headers.Add("X-Api-Key", key);
                try
                {
                    using var response = await http.SendAsync(request);
                    return $"{(int)response.StatusCode}{(response.Headers.RetryAfter is null ? "" : " +Retry-After")}";
                }
                catch (HttpRequestException ex)
                {
                    return $"connection error ({ex.HttpRequestError})";
                }
            }));
            var burst = clock.Elapsed;
            await sampling.CancelAsync();
            await sampler;
            var peakHwm = PeakRss(server.Id);
            await Task.Delay(TimeSpan.FromSeconds(5));
            var after5 = Rss(server.Id);
            await Task.Delay(TimeSpan.FromSeconds(15));
            var after20 = Rss(server.Id);

            Console.WriteLine($"serve-burst: {requests} simultaneous uploads of {body.Length / (1 << 20)} MiB, one key, maxInFlightBytes {budgetMiB} MiB, {Environment.ProcessorCount} cores; burst took {burst.TotalSeconds:F1} s");
            Console.WriteLine($"  answers: {string.Join(", ", statuses.GroupBy(s => s).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Key} ×{g.Count()}"))}");
            Console.WriteLine($"  server RSS: before {baseline / 1e6:F0} MB, peak {Math.Max(peak, peakHwm) / 1e6:F0} MB (sampled {peak / 1e6:F0}, VmHWM {peakHwm / 1e6:F0}), 5 s after {after5 / 1e6:F0} MB, 20 s after {after20 / 1e6:F0} MB");
            // Kestrel keeps up to 1 MiB of unread input per connection besides what the endpoint holds.
            var bound = baseline + ((budgetMiB << 20) + requests * (1L << 20)) * 1.1;
            Console.WriteLine($"  peak within baseline + (budget + 1 MiB Kestrel input buffer per connection) + 10% ({bound / 1e6:F0} MB): {(Math.Max(peak, peakHwm) <= bound ? "yes" : "NO")}; any 500: {(statuses.Any(s => s.StartsWith('5') && !s.StartsWith("503", StringComparison.Ordinal)) ? "YES" : "no")}");
            return 0;
        }
        finally
        {
            if (server is { HasExited: false })
            {
                server.Kill();
                await server.WaitForExitAsync();
            }
            server?.Dispose();
            Directory.Delete(root, recursive: true);
        }
    }

    private static async Task WaitReadyAsync(HttpClient http, Process server)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromMinutes(2))
        {
            if (server.HasExited) throw new InvalidOperationException($"the server exited with {server.ExitCode} before it was ready");
            try
            {
                using var response = await http.GetAsync("/readyz");
                if (response.StatusCode == HttpStatusCode.OK) return;
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }
            await Task.Delay(200);
        }
        throw new InvalidOperationException("the server was not ready within 2 minutes");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static long Rss(int pid) => StatusKb(pid, "VmRSS:") * 1024;

    private static long PeakRss(int pid) => StatusKb(pid, "VmHWM:") * 1024;

    private static long StatusKb(int pid, string field)
    {
        var line = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith(field, StringComparison.Ordinal));
        return long.Parse(line[field.Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
    }
}
