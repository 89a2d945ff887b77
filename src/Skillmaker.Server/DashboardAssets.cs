using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Skillmaker.Server;

/// <summary>The dashboard's stylesheet and its one script (live updates), served from memory.</summary>
public static class DashboardAssets
{
    public static IEndpointRouteBuilder MapDashboardAssets(this IEndpointRouteBuilder app)
    {
        app.MapGet("/assets/dashboard.css", () => Results.Text(Css, "text/css; charset=utf-8"));
        app.MapGet("/assets/live.js", () => Results.Text(LiveJs, "text/javascript; charset=utf-8"));
        return app;
    }

    private const string Css = """
        .filters { display:flex; flex-wrap:wrap; gap:.5rem 1rem; align-items:end; margin:.4rem 0 1rem; }
        .filters label { display:grid; gap:.1rem; font-size:14px; color:var(--muted); }
        .filters select, .filters input { font:inherit; color:var(--fg); padding:.3rem .4rem; border:1px solid var(--line); border-radius:6px; background:#fff; }
        table.data { margin:.4rem 0 1rem; } table.data td, table.data th { vertical-align:middle; }
        img.thumb { width:64px; height:48px; object-fit:cover; border-radius:4px; background:var(--bg); display:block; }
        .pager { display:flex; gap:1.5rem; margin:.6rem 0; }
        .image-page { display:grid; grid-template-columns:minmax(320px, 2fr) minmax(260px, 1fr); gap:1.2rem; align-items:start; }
        @media (max-width: 900px) { .image-page { grid-template-columns:1fr; } }
        .overlay { margin:0; } .overlay svg { width:100%; height:auto; max-height:75vh; background:var(--bg); border:1px solid var(--line); border-radius:8px; }
        .overlay figcaption { color:var(--muted); font-size:14px; }
        dl.facts { display:grid; grid-template-columns:max-content 1fr; gap:.2rem .8rem; margin:.4rem 0 1rem; } dl.facts dt { color:var(--muted); } dl.facts dd { margin:0; }
        code.wrap { word-break:break-all; }
        ul.thumbs { list-style:none; padding:0; display:flex; flex-wrap:wrap; gap:.6rem; }
        ul.thumbs li { display:grid; gap:.2rem; width:170px; } ul.thumbs img { width:170px; height:128px; object-fit:contain; background:var(--bg); border-radius:6px; border:1px solid var(--line); }
        ul.thumbs small { color:var(--fg); overflow-wrap:anywhere; }
        ul.inline-list { list-style:none; padding:0; display:flex; flex-wrap:wrap; gap:.3rem .8rem; }
        .scroll { overflow-x:auto; }
        table.confusion td, table.confusion th { text-align:center; border:1px solid var(--line); padding:.25rem .5rem; }
        table.confusion th[scope=row] { text-align:left; }
        table.confusion a { color:inherit; font-weight:600; display:block; }
        .heat0 { background:#fff; color:#57606a; } .heat1 { background:#e8f1fb; color:#1b1f24; } .heat2 { background:#c9def4; color:#1b1f24; }
        .heat3 { background:#9cc3ea; color:#1b1f24; } .heat4 { background:#1f5fa8; color:#fff; } .heat5 { background:#0b3d91; color:#fff; }
        td.diag { outline:2px solid #1a7f37; outline-offset:-2px; }
        td.up { color:var(--ok); } td.down { color:var(--bad); }
        svg.chart { max-width:100%; height:auto; }
        ul.thumbs li.failure { width:350px; grid-template-columns:170px 170px; column-gap:.6rem; } ul.thumbs li.failure small { grid-column:1 / -1; }
        button[aria-disabled=true] { opacity:.6; cursor:progress; }
        progress { vertical-align:middle; }
        .live-note { position:fixed; bottom:1rem; right:1rem; background:var(--fg); color:#fff; padding:.4rem .8rem; border-radius:6px; }
        """;

    private const string LiveJs = """
        // Live parts: poll a stamp (/dashboard/live, or the data-live-stamp address of the first live part, every
        // data-live-every ms); when it changes, fetch this page again and swap every element marked data-live (by
        // id). A part marked data-live-until stops the polling. Forms marked data-once send once: a second click
        // while the first is on its way does nothing. Without JavaScript the page is the same, only not live.
        (() => {
          document.addEventListener('submit', e => {
            const form = e.target;
            if (!(form instanceof HTMLFormElement) || !form.hasAttribute('data-once')) return;
            if (form.dataset.sent) { e.preventDefault(); return; }
            form.dataset.sent = 'yes';
            form.querySelectorAll('button[type=submit]').forEach(b => b.setAttribute('aria-disabled', 'true'));
          });
          const parts = document.querySelectorAll('[data-live][id]');
          if (parts.length === 0) return;
          const src = parts[0].dataset.liveStamp || '/dashboard/live';
          const every = Number(parts[0].dataset.liveEvery || 3000);
          // The stamp the page was rendered with, when it says (so a change before the first poll is not missed).
          let stamp = parts[0].dataset.liveNow ?? null;
          let timer = null;
          const ended = () => document.querySelector('[data-live-until]') !== null;
          const poll = async () => {
            try {
              const r = await fetch(src, { headers: { Accept: 'application/json' }, cache: 'no-store' });
              if (!r.ok) return;
              const now = (await r.json()).stamp;
              if (stamp !== null && now !== stamp) {
                const page = await fetch(location.href, { cache: 'no-store' });
                if (page.ok) {
                  const doc = new DOMParser().parseFromString(await page.text(), 'text/html');
                  parts.forEach(p => {
                    const fresh = doc.getElementById(p.id);
                    if (!fresh) return;
                    p.replaceChildren(...fresh.childNodes);
                    if (fresh.hasAttribute('data-live-until')) p.setAttribute('data-live-until', fresh.getAttribute('data-live-until'));
                  });
                  document.body.dataset.liveUpdated = now;
                }
              }
              stamp = now;
              if (ended() && timer !== null) clearInterval(timer);
            } catch { /* offline for a moment: try again at the next tick */ }
          };
          if (ended()) return;
          poll();
          timer = setInterval(poll, every);
        })();
        """;
}
