using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Skillmaker.Server;

/// <summary>The pages' one stylesheet and two small scripts, served from memory (no build step).</summary>
public static class Assets
{
    public static IEndpointRouteBuilder MapSkillmakerAssets(this IEndpointRouteBuilder app)
    {
        app.MapGet("/assets/app.css", () => Results.Text(Css, "text/css; charset=utf-8"));
        app.MapGet("/assets/crowd.js", () => Results.Text(CrowdJs, "text/javascript; charset=utf-8"));
        app.MapGet("/assets/review.js", () => Results.Text(ReviewJs, "text/javascript; charset=utf-8"));
        // Browsers ask for /favicon.ico on every page; answer with the icon instead of a 404.
        app.MapGet("/assets/icon.svg", () => Results.Text(Icon, "image/svg+xml"));
        app.MapGet("/favicon.ico", () => Results.Text(Icon, "image/svg+xml"));
        return app;
    }

    private const string Css = """
        :root { --fg:#1b1f24; --muted:#57606a; --line:#d0d7de; --accent:#0b5cad; --ok:#1a7f37; --bad:#b42318; --bg:#f6f8fa; }
        * { box-sizing: border-box; }
        body { margin:0; font: 16px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color:var(--fg); background:#fff; }
        header { display:flex; align-items:center; gap:1.5rem; padding:.6rem 1.2rem; border-bottom:1px solid var(--line); background:var(--bg); }
        header nav { display:flex; align-items:center; gap:1rem; flex:1; }
        header .who { margin-left:auto; color:var(--muted); }
        .brand { font-weight:700; }
        main { padding:1rem 1.2rem; max-width:1280px; margin:0 auto; }
        h1 { font-size:1.4rem; margin:.3rem 0 .6rem; }
        a { color:var(--accent); }
        kbd { font: 12px ui-monospace, monospace; border:1px solid var(--line); border-bottom-width:2px; border-radius:4px; padding:0 .3em; background:#fff; }
        .hint { color:var(--muted); }
        .error { color:var(--bad); font-weight:600; }
        .notice { color:var(--ok); font-weight:600; }
        .card { border:1px solid var(--line); border-radius:8px; padding:1rem; background:#fff; }
        .narrow { max-width:28rem; display:grid; gap:.5rem; }
        input[type=text], input[type=password] { font:inherit; padding:.4rem .5rem; border:1px solid var(--line); border-radius:6px; }
        button, .button { font:inherit; padding:.4rem .9rem; border:1px solid var(--line); border-radius:6px; background:#fff; cursor:pointer; text-decoration:none; color:var(--fg); }
        button.primary, .button.primary { background:var(--accent); border-color:var(--accent); color:#fff; }
        button.primary kbd { background:transparent; color:#fff; border-color:rgba(255,255,255,.7); }
        button.danger { color:var(--bad); border-color:var(--bad); }
        button.link { border:none; background:none; color:var(--accent); padding:0; text-decoration:underline; }
        :focus-visible { outline:3px solid #f59e0b; outline-offset:2px; }
        form.inline { display:inline; }
        .task { display:grid; grid-template-columns: minmax(280px, 1fr) minmax(320px, 1fr); gap:1.2rem; align-items:start; }
        .task figure { margin:0; }
        .task .crop img { width:100%; max-height:70vh; object-fit:contain; background:var(--bg); border:1px solid var(--line); border-radius:8px; }
        fieldset { border:none; padding:0; margin:0 0 1rem; }
        legend { font-weight:700; margin-bottom:.3rem; }
        .option { display:block; padding:.25rem .4rem; border-radius:6px; cursor:pointer; }
        .option:has(input:checked) { background:#ddf4ff; }
        @media (max-width: 800px) { .task { grid-template-columns: 1fr; } }
        .groups { display:flex; flex-wrap:wrap; gap:.4rem; margin:.4rem 0 1rem; padding:0; list-style:none; }
        .groups a { display:inline-block; padding:.2rem .6rem; border:1px solid var(--line); border-radius:999px; text-decoration:none; }
        .groups a[aria-current=page] { background:var(--accent); color:#fff; border-color:var(--accent); }
        .toolbar { display:flex; flex-wrap:wrap; gap:.5rem; align-items:center; position:sticky; top:0; background:#fff; padding:.5rem 0; border-bottom:1px solid var(--line); z-index:2; }
        .grid { display:grid; grid-template-columns: repeat(auto-fill, minmax(300px, 1fr)); gap:.8rem; margin-top:.8rem; }
        .cell { border:2px solid var(--line); border-radius:8px; padding:.4rem; display:grid; gap:.3rem; cursor:pointer; }
        .cell:has(input:checked) { border-color:var(--accent); background:#f0f7ff; }
        .cell .pics { display:grid; grid-template-columns:1fr 1fr; gap:.3rem; }
        .cell .pics.single { grid-template-columns:1fr; }
        .cell img { width:100%; height:170px; object-fit:contain; background:var(--bg); border-radius:4px; }
        .cell small { color:var(--muted); }
        .badge { display:inline-block; font-size:12px; padding:0 .4em; border-radius:4px; background:var(--bg); border:1px solid var(--line); }
        .badge.confirmed { color:var(--ok); border-color:var(--ok); }
        .badge.rejected { color:var(--bad); border-color:var(--bad); }
        .badge.escalated { color:#fff; background:#b45309; border-color:#b45309; font-weight:600; }
        .cell.escalated { border-color:#b45309; background:#fff7ed; }
        table { border-collapse:collapse; } td, th { padding:.2rem .6rem; border-bottom:1px solid var(--line); text-align:left; }
        """;

    private const string Icon = """<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" height="16" rx="3" fill="#0b5cad"/><path d="M4 11l3-6 2 4 1-2 2 4z" fill="#fff"/></svg>""";

    private const string CrowdJs = """
        // Keyboard answers: each radio has data-key. Keys are read by their place on the keyboard
        // (KeyboardEvent.code), so the A S D F G row and the digits work on AZERTY and QWERTZ too.
        // Enter sends once both questions are answered, unless focus is on a link or a button outside
        // the answer form (Sign out must stay usable with Enter).
        (() => {
          const form = document.getElementById('answer');
          if (!form) return;
          const keyOf = code => {
            let m = /^(?:Digit|Numpad)([0-9])$/.exec(code);
            if (m) return m[1];
            m = /^Key([A-Z])$/.exec(code);
            return m ? m[1].toLowerCase() : null;
          };
          document.addEventListener('keydown', e => {
            if (e.ctrlKey || e.metaKey || e.altKey) return;
            if (e.key === 'Enter' || e.code === 'Enter' || e.code === 'NumpadEnter') {
              const t = e.target;
              if (t instanceof Element && t.closest('a, button, [contenteditable]') && !form.contains(t)) return;
              e.preventDefault();
              if (form.checkValidity()) form.requestSubmit(); else form.reportValidity();
              return;
            }
            const key = keyOf(e.code) ?? (e.key.length === 1 ? e.key.toLowerCase() : null);
            if (!key) return;
            const input = form.querySelector(`input[data-key="${CSS.escape(key)}"]`);
            if (input) { input.checked = true; input.focus(); e.preventDefault(); }
          });
          form.addEventListener('submit', () => form.querySelector('button[type=submit]').disabled = true);
        })();
        """;

    private const string ReviewJs = """
        // Select all / none for the review grid.
        (() => {
          const boxes = () => document.querySelectorAll('input[name=crop]');
          const all = document.getElementById('select-all');
          const none = document.getElementById('select-none');
          if (all) all.addEventListener('click', () => boxes().forEach(b => b.checked = true));
          if (none) none.addEventListener('click', () => boxes().forEach(b => b.checked = false));
        })();
        """;
}
