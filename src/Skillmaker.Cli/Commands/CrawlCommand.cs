using System.CommandLine;
using System.Text.RegularExpressions;
using Spectre.Console;
using Skillmaker.Cli.Infrastructure;
using Skillmaker.Common;
using Skillmaker.Sources;
using Skillmaker.Ingest;

namespace Skillmaker.Cli.Commands;

/// <summary><c>skillmaker crawl URL --source NAME</c>: takes the photos of a website that permits it.</summary>
public static class CrawlCommand
{
    public static Command Create(CliHost host, GlobalOptions options)
    {
        var url = new Argument<string>("URL") { Description = "Start page, e.g. https://cars.example/used/" };
        var source = new Option<string>("--source", "-s") { Description = "Name of the source, e.g. dealer-site (letters, digits, '.', '_', '-')", Required = true, HelpName = "NAME" };
        var maxPages = new Option<int>("--max-pages") { Description = "Pages this run fetches at most; the next run carries on", DefaultValueFactory = _ => 100, HelpName = "N" };
        var delay = new Option<int?>("--delay-ms") { Description = "Pause between two requests to one host (default: sources.defaultDelayMilliseconds, 1000); a longer robots.txt Crawl-delay wins", HelpName = "MS" };
        var sameHost = new Option<bool>("--same-host") { Description = "Images too must come from the start host or --allow hosts (by default images may come from any public host, e.g. a CDN; pages never leave the site)" };
        var imageSelector = new Option<string>("--image-selector") { Description = "CSS selector of the images to take (an element that is not an img contributes the imgs inside it)", DefaultValueFactory = _ => "img", HelpName = "CSS" };
        var labelSelector = new Option<string?>("--label-selector") { Description = "CSS selector whose text becomes the label hint of a listing's images, e.g. h1.title", HelpName = "CSS" };
        var labelJsonLd = new Option<string[]>("--label-jsonld")
        {
            Description = "JSON-LD field (dotted path) for the label hint; several are joined with spaces, e.g. --label-jsonld brand.name --label-jsonld model. Tried before --label-selector",
            HelpName = "PATH",
            AllowMultipleArgumentsPerToken = false,
        };
        var listingPattern = new Option<string?>("--listing-pattern") { Description = "Regular expression: only pages whose URL matches are listings whose images are taken (default: every page)", HelpName = "REGEX" };
        var web = new WebOptions(forCrawl: true);
        var command = new Command("crawl", "Crawl a website that permits it (robots.txt obeyed): follow its links, take the images of its listing pages, one set per listing")
        {
            url, source, maxPages, delay, sameHost, web.Allow, web.AllowPrivate, imageSelector, labelSelector, labelJsonLd, listingPattern, web.Refresh,
        };
        var jobs = new JobOptions();
        jobs.AddTo(command);
        command.SetAction(CliApp.Action(host, options, async (run, parse, ct) =>
        {
            var parser = new AngleSharpPageParser();
            var request = new CrawlRequest
            {
                StartUrl = Uri.TryCreate(parse.GetValue(url), UriKind.Absolute, out var start) ? start
                    : throw new UsageException($"'{parse.GetValue(url)}' is not a URL; expected e.g. https://cars.example/used/"),
                Source = parse.GetValue(source)!,
                MaxPages = parse.GetValue(maxPages),
                Delay = parse.GetValue(delay) is { } ms ? (ms >= 0 ? TimeSpan.FromMilliseconds(ms) : throw new UsageException($"--delay-ms {ms} must be 0 or more")) : null,
                SameHost = parse.GetValue(sameHost),
                Allow = web.AllowedHosts(parse),
                AllowPrivate = parse.GetValue(web.AllowPrivate),
                Refresh = parse.GetValue(web.Refresh),
                Rules = new PageRules
                {
                    ImageSelector = Selector(parser, parse.GetValue(imageSelector)!, "--image-selector")!,
                    LabelSelector = Selector(parser, parse.GetValue(labelSelector), "--label-selector"),
                    LabelJsonLd = parse.GetValue(labelJsonLd) ?? [],
                },
                ListingPattern = Pattern(parse.GetValue(listingPattern)),
            };
            try
            {
                CrawlService.Validate(request);
            }
            catch (SkillmakerException ex)
            {
                throw new UsageException(ex.Message);
            }

            await using var line = await run.OpenLineAsync(ct);
            if (jobs.OnWorkers(parse, line.Workspace))
            {
                // The crawl runs on a worker: robots.txt, pauses and the network guard apply where the requests are made.
                var dispatcher = await line.OpenJobsAsync(ct);
                var submitted = await line.CrawlJobs().SubmitAsync(request, Jobs.WorkspaceRef.Of(line.Workspace), dispatcher, ct);
                if (jobs.Detached(parse)) return JobOptions.WriteDetached(run, CrawlJobs.Kind, submitted.RunId, submitted.Progress);
                var record = await JobOptions.WaitAsync(run, dispatcher, submitted.RunId, "Crawling on a worker", ct);
                return record is null ? ExitCodes.Failed : Report(run, CrawlJobs.Summarize(record)!);
            }
            var crawl = line.Crawl();
            var summary = await run.WithProgressAsync("Crawling", progress =>
                crawl.RunAsync(request, progress.Map((CrawlProgress p) => (p.PagesFetched, p.PagesPlanned)), ct));
            return Report(run, summary);
        }));
        return command;
    }

    /// <summary>Prints a crawl's summary (JSON or tables); the exit code says whether it completed.</summary>
    public static int Report(CommandRun run, CrawlSummary summary)
    {
        if (run.IsJson) run.WriteJson(Json(summary));
        else Render(run, summary);
        return summary.Interrupted ? ExitCodes.Failed : ExitCodes.Ok;
    }

    private static string? Selector(AngleSharpPageParser parser, string? selector, string option) =>
        selector is null ? null : parser.ValidateSelector(selector) is { } problem ? throw new UsageException($"{option}: {problem}") : selector;

    private static Regex? Pattern(string? pattern)
    {
        if (pattern is null) return null;
        try
        {
            return CrawlRequest.ListingPatternOf(pattern);
        }
        catch (ArgumentException ex)
        {
            throw new UsageException($"--listing-pattern '{pattern}' is not a regular expression ({ex.Message}); expected e.g. /listing/\\d+");
        }
    }

    private static object Json(CrawlSummary s) => new
    {
        runId = s.RunId,
        source = s.Source,
        startUrl = s.StartUrl,
        pages = new
        {
            fetched = s.PagesFetched,
            listings = s.Listings,
            doneBefore = s.PagesDoneBefore,
            pending = s.PagesPending,
            linksOutsideSite = s.LinksOutsideSite,
            skipped = s.PagesSkipped.Select(p => new { url = p.Url, reason = p.Reason, code = p.Code, willRetry = p.WillRetry }),
        },
        images = IngestJson.Of(s.Images, ("found", s.ImagesFound), ("doneBefore", s.ImagesDoneBefore)),
        hosts = s.Hosts.Select(h => new { host = h.Host, robots = h.Robots, crawlDelaySeconds = h.CrawlDelaySeconds, delaySeconds = h.DelaySeconds }),
        interrupted = s.Interrupted,
    };

    private static void Render(CommandRun run, CrawlSummary s)
    {
        var pages = new Table().AddColumn("Pages").AddColumn(new TableColumn("Count").RightAligned());
        pages.AddRow("fetched", s.PagesFetched.ToString());
        pages.AddRow("listings (images taken)", s.Listings.ToString());
        pages.AddRow("skipped", s.PagesSkipped.Count.ToString());
        pages.AddRow("done by earlier runs (passed by)", s.PagesDoneBefore.ToString());
        pages.AddRow("pending (for the next run)", s.PagesPending.ToString());
        pages.AddRow("links outside the site (not followed)", s.LinksOutsideSite.ToString());
        run.Console.Write(pages);
        foreach (var p in s.PagesSkipped)
            run.Console.SafeMarkupLine($"[yellow]skipped[/] {p.Url}: {p.Reason}{(p.WillRetry ? " (the next run tries again)" : "")}");
        foreach (var h in s.Hosts)
            run.Console.SafeMarkupLine($"host {h.Host}: robots.txt {h.Robots}; {h.DelaySeconds:0.###} s between requests");
        IngestOutput.Render(run, s.Images, [("found (new image URLs)", s.ImagesFound), ("done by earlier runs (passed by)", s.ImagesDoneBefore)], unit: "Images");
    }
}
