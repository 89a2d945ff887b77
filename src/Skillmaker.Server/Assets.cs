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
        app.MapGet("/assets/times.js", () => Results.Text(LocalTimes, "text/javascript; charset=utf-8"));
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
        .task .below { grid-column:1 / -1; }
        .send { display:flex; gap:.5rem; flex-wrap:wrap; }
        .guide { list-style:none; padding:0; display:grid; grid-template-columns:repeat(auto-fill, minmax(260px, 1fr)); gap:.6rem; }
        .guide li { display:flex; gap:.6rem; align-items:flex-start; border:1px solid var(--line); border-radius:8px; padding:.4rem; }
        .guide img, img.example { width:96px; height:96px; object-fit:contain; background:var(--bg); border-radius:4px; flex:none; }
        .no-example { display:inline-flex; width:96px; height:96px; align-items:center; justify-content:center; text-align:center; font-size:12px; color:var(--muted); background:var(--bg); border-radius:4px; flex:none; }
        textarea { font:inherit; padding:.3rem; border:1px solid var(--line); border-radius:6px; }
        table.instructions td, table.instructions th { vertical-align:top; }
        /* A phone: the picture stays at the top while the answers scroll under it; options are compact so both
           questions and Send fit on a 390x844 screen; the keyboard hints (no keyboard) and the title go. */
        @media (max-width: 800px) {
          main { padding:.3rem .6rem; }
          header { padding:.3rem .6rem; gap:.6rem; flex-wrap:wrap; font-size:14px; }
          header nav { gap:.6rem; flex-wrap:wrap; }
          .task-title, .hint.keys { display:none; }
          .task { grid-template-columns: 1fr; gap:.4rem; }
          .task .crop { position:sticky; top:0; z-index:2; background:#fff; padding:.2rem 0; }
          .task .crop img { max-height:26vh; }
          .task .card { padding:.5rem; }
          .task fieldset { margin:0 0 .4rem; }
          .task legend { margin-bottom:0; font-size:15px; }
          .task .option { padding:.12rem .3rem; font-size:15px; line-height:1.25; }
          .task .option kbd { display:none; }
          .send kbd { display:none; }
        }
        .groups { display:flex; flex-wrap:wrap; gap:.4rem; margin:.4rem 0 1rem; padding:0; list-style:none; }
        .groups a { display:inline-block; padding:.2rem .6rem; border:1px solid var(--line); border-radius:999px; text-decoration:none; }
        .groups a[aria-current=page] { background:var(--accent); color:#fff; border-color:var(--accent); }
        main.wide { max-width:none; }
        .filters { display:flex; flex-wrap:wrap; gap:.4rem .6rem; align-items:center; margin:.2rem 0 .4rem; }
        select { font:inherit; padding:.3rem .4rem; border:1px solid var(--line); border-radius:6px; background:#fff; }
        .zoom { display:inline-flex; gap:.3rem; margin-left:auto; }
        .zoom a { padding:.1rem .5rem; border:1px solid var(--line); border-radius:6px; text-decoration:none; font-size:14px; }
        .zoom a[aria-current=true] { background:var(--accent); color:#fff; border-color:var(--accent); }
        .toolbar { display:flex; flex-wrap:wrap; gap:.5rem; align-items:center; position:sticky; top:0; background:#fff; padding:.5rem 0; border-bottom:1px solid var(--line); z-index:3; }
        /* The note and Undo have a row of their own that is always there: a decision never moves the grid. */
        .toolbar .status-row { flex-basis:100%; display:flex; gap:.8rem; align-items:center; min-height:2.2rem; }
        .toolbar .status-row .show-decided { margin-left:auto; }
        .toolbar .undo[hidden] { display:inline-block; visibility:hidden; }
        .toolbar .status .error { font-weight:600; }
        .new-class { display:inline-block; }
        .new-class[open] { padding:.3rem; border:1px solid var(--line); border-radius:6px; }
        .js-only { display:none; }
        .js .js-only { display:inline-block; }
        /* The grid: tiles as wide as the zoom says, 8 or more columns on a wide screen; on wide screens the
           right edge is kept free for the hovered crop's photo, so it never covers a tile. */
        .grid { --tile:150px; --pic:130px; display:grid; grid-template-columns: repeat(auto-fill, minmax(var(--tile), 1fr)); gap:.5rem; margin-top:.6rem; }
        .grid.zoom-s { --tile:112px; --pic:96px; }
        .grid.zoom-l { --tile:240px; --pic:220px; }
        @media (min-width: 1500px) { .grid { margin-right:min(34vw, 500px); } }
        .cell { position:relative; border:2px solid var(--line); border-radius:8px; padding:.3rem; display:flex; flex-direction:column; gap:.2rem; cursor:pointer; user-select:none; transition:opacity .25s; }
        .cell:has(input:checked) { border-color:var(--accent); background:#f0f7ff; }
        .cell:focus-within { outline:3px solid #f59e0b; outline-offset:1px; }
        .cell .head { display:flex; flex-wrap:wrap; align-items:center; gap:.25rem; }
        .cell .pic { display:flex; align-items:center; justify-content:center; height:var(--pic); background:var(--bg); border-radius:4px; }
        /* Never blown up: a 37x68 crop is shown at 37x68. */
        .cell img.crop { width:auto; height:auto; max-width:100%; max-height:var(--pic); }
        .cell small { color:var(--muted); font-size:12px; overflow-wrap:anywhere; }
        .cell .facts { display:flex; flex-wrap:wrap; gap:.2rem .4rem; }
        .cell .parent { display:none; }
        .cell:hover span.parent, .cell:focus-within span.parent { display:block; position:fixed; right:1rem; bottom:1rem; width:min(45vw, 480px); z-index:4;
          background:#fff; border:1px solid var(--line); border-radius:8px; padding:.4rem; box-shadow:0 4px 16px rgba(0,0,0,.2); pointer-events:none; }
        @media (min-width: 1500px) { .cell:hover span.parent, .cell:focus-within span.parent { top:9rem; bottom:auto; width:min(33vw, 480px); } }
        .cell span.parent img { width:100%; height:auto; display:block; }
        .cell.decided, .cell.done { opacity:.45; }
        .cell.decided:has(input:checked) { border-color:var(--line); background:#fff; }
        .cell.small .head small { color:var(--bad); font-weight:600; }
        .badge { display:inline-block; font-size:12px; padding:0 .4em; border-radius:4px; background:var(--bg); border:1px solid var(--line); }
        .badge.confirmed { color:var(--ok); border-color:var(--ok); }
        .badge.rejected { color:var(--bad); border-color:var(--bad); }
        .badge.small { color:#fff; background:var(--bad); border-color:var(--bad); }
        .badge.escalated { color:#fff; background:#b45309; border-color:#b45309; font-weight:600; }
        .cell.escalated { border-color:#b45309; background:#fff7ed; }
        .pager { margin:1rem 0; display:flex; gap:1rem; align-items:center; flex-wrap:wrap; }
        table { border-collapse:collapse; } td, th { padding:.2rem .6rem; border-bottom:1px solid var(--line); text-align:left; }
        """;

    private const string Icon = """<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" height="16" rx="3" fill="#0b5cad"/><path d="M4 11l3-6 2 4 1-2 2 4z" fill="#fff"/></svg>""";

    private const string CrowdJs = LocalTimes + """
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

    private const string ReviewJs = LocalTimes + """
        // The review grid for a day's work: arrows move, Space selects, Shift+click or Shift+arrows select a
        // range, C confirms, R picks a class to relabel (Enter sends), X rejects, U undoes, N loads the next
        // crops. Decisions are posted in the background and the decided tiles fade where they are: nothing
        // moves under the cursor, and "Select all" never takes a crop the expert has not seen. Without this
        // script the same forms post and the page reloads.
        (() => {
          const form = document.getElementById('decide');
          if (!form) return;
          document.documentElement.classList.add('js');
          const grid = document.getElementById('grid');
          const status = document.getElementById('status');
          const undoButton = document.getElementById('undo-last');
          const undoForm = document.getElementById('undo');
          const undoBatch = document.getElementById('undo-batch');
          const label = document.getElementById('label');
          const newLabel = document.getElementById('new-label');
          const cells = () => [...document.querySelectorAll('#grid .cell')];
          const box = c => c.querySelector('input[name=crop]');
          const open = c => !c.classList.contains('done');
          const undos = [];
          let anchor = null;
          let kept = null; // the tiles selected before a Shift+arrow range began
          let pointerShift = false;
          let lastCell = null;

          const say = (text, error) => {
            status.textContent = '';
            const s = document.createElement('span');
            s.className = error ? 'error' : 'notice';
            s.id = error ? 'problem' : 'note';
            s.textContent = text;
            status.append(s);
          };
          const range = (from, to, on) => {
            const all = cells();
            let a = all.indexOf(from), b = all.indexOf(to);
            if (a < 0 || b < 0) return;
            if (a > b) [a, b] = [b, a];
            for (const c of all.slice(a, b + 1)) if (open(c)) box(c).checked = on;
          };
          // Columns as the browser lays them out (they change with the window and the zoom).
          const columns = () => {
            if (!grid) return 1;
            const template = getComputedStyle(grid).gridTemplateColumns;
            const n = template && template !== 'none' ? template.trim().split(/\s+/).length : 1;
            return Math.max(1, n);
          };
          // The tile the arrows go on from: the focused one, else the one focused last (focus may have gone to
          // a toolbar button), else none.
          const current = () => {
            const focused = document.activeElement && document.activeElement.closest ? document.activeElement.closest('#grid .cell') : null;
            if (focused) return focused;
            return lastCell && lastCell.isConnected ? lastCell : null;
          };
          // Where an arrow goes from tile i: Left/Right to the nearest open tile in reading order; Up/Down to
          // the nearest row above or below with an open tile, on its open tile nearest to column i % n.
          // Nothing there: stay.
          const target = (all, i, key) => {
            if (i < 0) return all.findIndex(open);
            if (key === 'ArrowLeft' || key === 'ArrowRight') {
              const step = key === 'ArrowRight' ? 1 : -1;
              for (let j = i + step; j >= 0 && j < all.length; j += step) if (open(all[j])) return j;
              return i;
            }
            const n = columns();
            const step = key === 'ArrowDown' ? 1 : -1;
            const column = i % n;
            const rows = Math.ceil(all.length / n);
            for (let row = Math.floor(i / n) + step; row >= 0 && row < rows; row += step) {
              let best = -1;
              for (let j = row * n; j < Math.min(all.length, row * n + n); j++) {
                if (!open(all[j])) continue;
                if (best < 0 || Math.abs(j % n - column) < Math.abs(best % n - column)) best = j;
              }
              if (best >= 0) return best;
            }
            return i;
          };
          // Keeps the tile in view and never under the sticky toolbar.
          const reveal = cell => {
            const bar = document.querySelector('#decide .toolbar');
            const top = bar ? bar.getBoundingClientRect().bottom : 0;
            const r = cell.getBoundingClientRect();
            const margin = 8;
            if (r.top < top + margin) window.scrollBy({ top: r.top - top - margin, behavior: 'instant' });
            else if (r.bottom > window.innerHeight - margin) window.scrollBy({ top: Math.min(r.bottom - window.innerHeight + margin, r.top - top - margin), behavior: 'instant' });
          };
          // Shift+arrows select the open tiles from the anchor to the tile reached; moving back shrinks the
          // range. What was selected before the range began (Space, clicks) stays selected.
          const move = (key, extend) => {
            const all = cells();
            if (all.length === 0) return;
            const here = current();
            const i = here ? all.indexOf(here) : -1;
            const j = target(all, i, key);
            if (j < 0) return;
            const next = all[j];
            if (extend && here) {
              if (!anchor || !anchor.isConnected) anchor = here;
              if (!kept) kept = new Set(all.filter(c => box(c).checked));
              let a = all.indexOf(anchor), b = j;
              if (a > b) [a, b] = [b, a];
              all.forEach((c, k) => { if (open(c)) box(c).checked = kept.has(c) || (k >= a && k <= b); });
            } else {
              anchor = next;
              kept = null;
            }
            lastCell = next;
            box(next).focus({ preventScroll: true });
            reveal(next);
          };

          if (grid) {
            grid.addEventListener('pointerdown', e => { pointerShift = e.shiftKey; });
            grid.addEventListener('focusin', e => { const c = e.target.closest('.cell'); if (c) lastCell = c; });
            grid.addEventListener('click', e => {
              const cell = e.target.closest('.cell');
              if (!cell) return;
              if (!open(cell)) { e.preventDefault(); return; } // decided here: it stays as decided until undone
              const input = e.target.closest('input[name=crop]');
              if (!input) return;
              if ((e.shiftKey || pointerShift) && anchor && anchor !== cell) range(anchor, cell, input.checked);
              anchor = cell;
              kept = null;
              pointerShift = false;
            });
          }

          const decide = async action => {
            const chosen = cells().filter(c => open(c) && box(c).checked);
            if (chosen.length === 0) { say('No crops selected; select at least one crop.', true); return; }
            if (action === 'relabel' && !label.value && !newLabel.value.trim()) {
              say('Choose the class to relabel the selected crops as.', true);
              label.focus();
              return;
            }
            const data = new FormData(form);
            data.set('action', action);
            let answer = null, body = null;
            try {
              answer = await fetch(form.getAttribute('action'), { method: 'POST', body: data, headers: { Accept: 'application/json' }, credentials: 'same-origin' });
              body = await answer.json().catch(() => null);
            } catch {
              say('The server did not answer; nothing was recorded. Try again.', true);
              return;
            }
            if (!answer.ok || !body || body.error) {
              say(body && (body.error || body.detail) ? (body.error || body.detail) : `Nothing was recorded (HTTP ${answer.status}); reload the page.`, true);
              return;
            }
            for (const c of chosen) {
              box(c).checked = false;
              c.classList.add('done');
              const badge = c.querySelector('.badge.decision');
              badge.textContent = body.badge;
              badge.className = 'badge decision ' + body.status;
              badge.hidden = false;
            }
            kept = null;
            undos.push({ batch: body.batch, cells: chosen });
            undoBatch.value = body.batch;
            undoButton.hidden = false;
            say(body.note);
            if (action === 'relabel') { label.value = ''; newLabel.value = ''; }
            // Back to the grid where the expert was (also after choosing a class in the list).
            if (cells().every(c => !open(c))) document.getElementById('next').focus();
            else if (lastCell) box(lastCell).focus();
          };

          const selectAll = () => { for (const c of cells()) if (open(c)) box(c).checked = true; };
          const selectNone = () => { for (const c of cells()) box(c).checked = false; kept = null; };
          document.getElementById('select-all').addEventListener('click', selectAll);
          document.getElementById('select-none').addEventListener('click', selectNone);

          form.addEventListener('submit', e => {
            e.preventDefault();
            decide(e.submitter && e.submitter.value ? e.submitter.value : 'confirm');
          });

          undoForm.addEventListener('submit', async e => {
            e.preventDefault();
            const last = undos[undos.length - 1];
            if (!last) return;
            undoBatch.value = last.batch;
            let answer = null, body = null;
            try {
              answer = await fetch(undoForm.getAttribute('action'), { method: 'POST', body: new FormData(undoForm), headers: { Accept: 'application/json' }, credentials: 'same-origin' });
              body = await answer.json().catch(() => null);
            } catch { }
            if (!answer || !answer.ok || !body) { say(body && body.detail ? body.detail : 'Undo failed; nothing was changed.', true); return; }
            undos.pop();
            for (const c of last.cells) {
              c.classList.remove('done');
              c.querySelector('.badge.decision').hidden = true;
            }
            const previous = undos[undos.length - 1];
            undoBatch.value = previous ? previous.batch : '';
            undoButton.hidden = !previous;
            say(body.note);
            box(last.cells[0]).focus();
          });

          const zooms = ['zoom-s', 'zoom-m', 'zoom-l'];
          const zoom = step => {
            if (!grid) return;
            const i = zooms.findIndex(z => grid.classList.contains(z));
            const j = Math.min(zooms.length - 1, Math.max(0, i + step));
            grid.classList.remove(...zooms);
            grid.classList.add(zooms[j]);
            for (const input of document.querySelectorAll('input[name=zoom]')) input.value = zooms[j].slice(5);
          };

          document.addEventListener('keydown', e => {
            if (e.ctrlKey || e.metaKey || e.altKey) return;
            const t = e.target;
            if (t === label && (e.code === 'Enter' || e.code === 'NumpadEnter')) { e.preventDefault(); decide('relabel'); return; }
            if (t instanceof Element && t.closest('input[type=text], select, textarea')) {
              if (e.code === 'Escape' && t.blur) t.blur();
              return;
            }
            switch (e.code) {
              case 'ArrowRight': case 'ArrowLeft': case 'ArrowDown': case 'ArrowUp': move(e.code, e.shiftKey); break;
              case 'KeyA': selectAll(); break;
              case 'Escape': selectNone(); break;
              case 'KeyC': if (document.getElementById('confirm')) decide('confirm'); else return; break;
              case 'KeyR': label.focus(); break;
              case 'KeyX': decide('reject'); break;
              case 'KeyU': if (!undoButton.hidden) undoForm.requestSubmit(); break;
              case 'KeyN': location.href = document.getElementById('next').href; break;
              case 'Equal': case 'NumpadAdd': zoom(1); break;
              case 'Minus': case 'NumpadSubtract': zoom(-1); break;
              default: return;
            }
            e.preventDefault();
          });
        })();
        """;

    /// <summary>Times are written in UTC (right with JavaScript off, and said so); the browser rewrites each
    /// <c>&lt;time datetime&gt;</c> in the viewer's own zone.</summary>
    private const string LocalTimes = """
        (() => {
          for (const t of document.querySelectorAll('time[datetime]')) {
            const d = new Date(t.getAttribute('datetime'));
            if (isNaN(d)) continue;
            const format = t.dataset.format;
            t.textContent = format === 'date'
              ? d.toLocaleString([], { year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' })
              : d.toLocaleTimeString([], format === 'time' ? { hour: '2-digit', minute: '2-digit', second: '2-digit' } : { hour: '2-digit', minute: '2-digit' });
            t.title = d.toISOString().replace('T', ' ').slice(0, 16) + ' UTC';
          }
        })();

        """;
}
