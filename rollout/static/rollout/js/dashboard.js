// Dashboard: follow the live state without reloading. Polls live.json every few seconds with
// the key the page was drawn with; while nothing changed the answer is a few bytes (and the
// countdowns to each rollout's next step). When the key changed, the page fetches itself and
// swaps every [data-live-section] whose HTML differs, so header, version mix, map, legend,
// rollouts, freezes and the regions table always show one and the same state. Focus and scroll
// stay where they were. Region page: the rollback form's confirmation names the version the
// chosen option restores.
(() => {
  const header = () => document.querySelector('[data-live-section="header"]');
  const first = header();
  if (first && first.dataset.poll) {
    const pollUrl = first.dataset.poll;
    let key = first.dataset.key;
    const FOCUSABLE = "a[href], button, input, select, textarea, summary, [tabindex]";
    const swap = (old, fresh) => {
      const active = document.activeElement;
      let index = -1, href = null;
      if (active && old.contains(active)) {
        index = [...old.querySelectorAll(FOCUSABLE)].indexOf(active);
        href = active.getAttribute("href");
      }
      old.replaceWith(fresh);
      if (index >= 0) {
        const candidates = [...fresh.querySelectorAll(FOCUSABLE)];
        const same = (href && candidates.find((el) => el.getAttribute("href") === href))
          || candidates[Math.min(index, candidates.length - 1)];
        if (same) same.focus({ preventScroll: true });
      }
    };
    const redraw = async () => {
      const res = await fetch(window.location.pathname,
        { headers: { Accept: "text/html" }, credentials: "same-origin" });
      if (!res.ok) return false;
      const doc = new DOMParser().parseFromString(await res.text(), "text/html");
      let changed = 0;
      for (const fresh of doc.querySelectorAll("[data-live-section]")) {
        const old = document.querySelector(
          `[data-live-section="${fresh.dataset.liveSection}"]`);
        if (old && old.outerHTML !== fresh.outerHTML) {
          swap(old, document.adoptNode(fresh));
          changed += 1;
        }
      }
      const drawn = header();
      if (drawn) key = drawn.dataset.key;
      if (changed && drawn) {
        // the server's time of the redrawn page, 24-hour UTC like every other time shown
        // (the browser's clock and locale would say "4:40:11 PM" in its own zone)
        const note = document.getElementById("live-updated");
        if (note) note.textContent = `Updated ${drawn.dataset.drawn}`;
      }
      return true;
    };
    const countdowns = (rollouts) => {
      for (const r of rollouts) {
        const next = document.querySelector(`[data-rollout="${r.id}"] [data-f="next"]`);
        if (next && next.textContent !== r.next_label) next.textContent = r.next_label;
      }
    };
    const poll = async () => {
      try {
        const res = await fetch(`${pollUrl}?key=${encodeURIComponent(key)}`,
          { headers: { Accept: "application/json" }, credentials: "same-origin" });
        if (res.ok) {
          const data = await res.json();
          if (data.key !== key) await redraw();
          countdowns(data.rollouts);
        }
      } catch (e) { /* offline for a moment: try again next time */ }
      setTimeout(poll, document.hidden ? 15000 : 3000);
    };
    setTimeout(poll, 3000);
  }
  // Region rollback: the confirmation names what the chosen option will change.
  for (const input of document.querySelectorAll("[data-confirm-choice] input[type=radio]")) {
    const update = () => {
      if (input.checked && input.dataset.confirm) input.form.dataset.confirm = input.dataset.confirm;
    };
    input.addEventListener("change", update);
    update();
  }
})();
