// Dashboard: follow the live state without reloading. Polls live.json every few seconds (with
// the activation the page shows, so an unchanged map costs a few bytes), recolours zones and
// facilities and updates the rollouts' progress. Region page: the rollback form's confirmation
// names the version the selected option restores.
(() => {
  const summary = document.getElementById("live-summary");
  const svg = document.getElementById("livemap");
  if (summary && svg) {
    let at = summary.dataset.at;
    const NOT_LIVE = "#c8ccd2", GAP = "#000000";
    const recolour = (map) => {
      const owner = {}, fowner = {};
      for (const [code, zones] of Object.entries(map.zones)) for (const z of zones) owner[z] = code;
      for (const [code, ids] of Object.entries(map.facilities)) for (const f of ids) fowner[f] = code;
      const gaps = new Set(map.gaps);
      for (const c of svg.querySelectorAll("circle[data-zone]")) {
        const z = c.dataset.zone, code = owner[z] || "";
        c.setAttribute("fill", gaps.has(z) ? GAP : (map.colours[code] || NOT_LIVE));
        c.dataset.region = code;
        const t = c.querySelector("title");
        if (t) t.textContent = `zone ${z}: ${gaps.has(z) ? "gap" : code || "not live"}`;
      }
      for (const f of svg.querySelectorAll("[data-facility]")) {
        const code = fowner[f.dataset.facility] || "";
        f.setAttribute("fill", map.colours[code] || NOT_LIVE);
        f.dataset.region = code;
      }
    };
    const progress = (rollouts) => {
      const seen = new Set();
      for (const r of rollouts) {
        seen.add(String(r.id));
        const el = document.querySelector(`[data-rollout="${r.id}"]`);
        if (!el) { stale(); continue; }
        const bar = el.querySelector(".progress");
        bar.setAttribute("aria-valuenow", r.done);
        bar.firstElementChild.style.width = `${r.pct}%`;
        const set = (f, text) => { const n = el.querySelector(`[data-f="${f}"]`); if (n) n.textContent = text; };
        set("state", r.state);
        el.querySelector('[data-f="state"]').className = `badge state-${r.state}`;
        set("done", `${r.done} of ${r.total} phase${r.total === 1 ? "" : "s"} done`);
        set("current", r.current);
        set("next", r.next_label);
      }
      for (const el of document.querySelectorAll("[data-rollout]")) {
        if (!seen.has(el.dataset.rollout)) el.classList.add("muted");
      }
    };
    const stale = () => { document.getElementById("live-stale").hidden = false; };
    const poll = async () => {
      try {
        const res = await fetch(`${summary.dataset.poll}?at=${encodeURIComponent(at)}`,
          { headers: { Accept: "application/json" }, credentials: "same-origin" });
        if (res.ok) {
          const data = await res.json();
          if (data.map) { recolour(data.map); if (String(data.at) !== at) stale(); at = String(data.at); }
          progress(data.rollouts);
        }
      } catch (e) { /* offline for a moment: try again next time */ }
      setTimeout(poll, document.hidden ? 15000 : 4000);
    };
    setTimeout(poll, 4000);
  }
  // Region rollback: the confirmation names what the chosen option will change.
  for (const select of document.querySelectorAll("select[data-confirm-option]")) {
    const update = () => {
      const option = select.selectedOptions[0];
      if (option && option.dataset.confirm) select.form.dataset.confirm = option.dataset.confirm;
    };
    select.addEventListener("change", update);
    update();
  }
})();
