// The rollout pages: filters that submit themselves, and on a rollout's page the live status
// (polls status.json every 1.5 s and swaps in the parts that changed, rendered by the server's
// own templates), the action buttons posted with fetch, the rollback <dialog> and countdowns.
// A message about an action ("Rollout 1 started.") fades once the polled state moves on
// without it (a phase activates): it would otherwise read as news about the new state.
// Without JavaScript every button is a plain form post and the page works the same, reloading.
(() => {
  "use strict";

  document.querySelectorAll("select[data-autosubmit]").forEach((select) => {
    select.addEventListener("change", () => select.form && select.form.submit());
  });
  document.documentElement.classList.add("rrm-js");

  const page = document.getElementById("rollout-page");
  if (!page) return;
  const statusUrl = page.dataset.statusUrl;
  const messageBox = document.getElementById("action-message");
  const pollNote = document.getElementById("poll-state");
  const dialog = document.getElementById("rollback-dialog");
  const news = document.getElementById("live-news");
  const shown = {};  // fragment name -> the HTML now on the page
  let skew = 0;  // server clock minus this browser's clock, ms
  let seen = null;  // the last status's signature: state, phase states, event count
  let eventsSeen = null;
  let answeredAt = 0;  // when this page's last action was answered (performance.now())

  function csrfToken(form) {
    const field = form && form.querySelector("input[name=csrfmiddlewaretoken]");
    if (field) return field.value;
    const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  function say(text, kind) {
    messageBox.replaceChildren();
    if (!text) return null;
    const p = document.createElement("p");
    p.className = "message " + kind;
    p.tabIndex = -1;  // focusable from script (after a rollback), not a tab stop
    p.textContent = text;
    messageBox.appendChild(p);
    return p;
  }

  // The action messages (ours, and the server's after a plain post) fade away, then go.
  function fadeMessages() {
    document.querySelectorAll("#action-message .message, .messages .message").forEach((p) => {
      if (p.classList.contains("fading")) return;
      p.classList.add("fading");
      setTimeout(() => {
        const box = p.parentElement;
        p.remove();
        if (box && box.classList.contains("messages") && !box.children.length) box.remove();
      }, 900);
    });
  }

  function signature(status) {
    return [status.state, (status.phases || []).map((p) => p.state).join(","),
      (status.events || []).length].join("|");
  }

  function describeRefusal(body, status) {
    let text = (body && body.detail) || "The request was refused (HTTP " + status + ").";
    const findings = (body && body.findings) || [];
    findings.slice(0, 8).forEach((f) => { text += " " + f.code + ": " + f.message; });
    return text;
  }

  // `byAction`: the status came with the answer to this page's own action, whose message
  // describes this very change and stays; a change seen by polling retires it.
  function apply(status, byAction) {
    if (!status) return;
    skew = Date.parse(status.server_time) - Date.now();
    const sig = signature(status);
    const events = status.events || [];
    if (seen !== null && sig !== seen && !byAction) {
      fadeMessages();
      // Screen readers hear what changed by itself (the page's text changes silently).
      const fresh = events.slice(eventsSeen || 0).map((e) => e.message);
      if (news && fresh.length) news.textContent = fresh.join(". ") + ".";
    }
    seen = sig;
    eventsSeen = events.length;
    document.querySelectorAll("[data-live=state]").forEach((el) => {
      // the state in words, from the page's own copy of the one mapping (rollout.web.words)
      const words = el.dataset.words ? JSON.parse(el.dataset.words) : {};
      el.textContent = words[status.state] || status.state;
      el.className = el.className.replace(/state-\S+/, "state-" + status.state);
    });
    const html = status.html || {};
    document.querySelectorAll("[data-fragment]").forEach((el) => {
      const name = el.dataset.fragment;
      if (!(name in html)) return;
      if (shown[name] === undefined) shown[name] = el.innerHTML;
      if (shown[name] === html[name]) return;
      // Never pull a form out from under someone typing in it.
      const active = document.activeElement;
      if (active && el.contains(active) && (active.tagName === "TEXTAREA" || active.tagName === "INPUT") && active.value) return;
      el.innerHTML = html[name];
      shown[name] = html[name];
    });
    tick();
  }

  function humanWait(ms) {
    if (ms <= 0) return "now";
    const s = Math.round(ms / 1000);
    if (s < 60) return "in " + s + " s";
    const m = Math.round(s / 60);
    if (m < 90) return "in " + m + " min";
    const h = Math.floor(m / 60);
    return "in " + h + " h " + (m % 60) + " min";
  }

  function tick() {
    const now = Date.now() + skew;
    document.querySelectorAll(".countdown[data-due]").forEach((el) => {
      const due = Date.parse(el.dataset.due);
      if (!isNaN(due)) el.textContent = humanWait(due - now);
    });
  }

  let failures = 0;
  async function poll() {
    try {
      const sentAt = performance.now();
      const response = await fetch(statusUrl, { headers: { Accept: "application/json" }, credentials: "same-origin" });
      if (!response.ok) throw new Error("HTTP " + response.status);
      const status = await response.json();
      // A poll sent before an action was answered knows less than that answer: drop it.
      if (sentAt >= answeredAt) apply(status);
      failures = 0;
      pollNote.textContent = "Live: this page updates itself every 1.5 s.";
    } catch (err) {
      failures += 1;
      pollNote.textContent = "Live updates interrupted (" + err.message + "); retrying…";
    }
    setTimeout(poll, failures ? Math.min(1500 * 2 ** failures, 15000) : 1500);
  }

  async function post(form) {
    const response = await fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      headers: { Accept: "application/json", "X-CSRFToken": csrfToken(form) },
      credentials: "same-origin",
    });
    let body = null;
    try { body = await response.json(); } catch (err) { body = null; }
    // A redirect (to the login page, when the session has ended) or an answer that is not the
    // view's JSON means the action was NOT done: never report it as a success.
    if (response.redirected || body === null) {
      const detail = response.redirected
        ? "Your session has ended: log in again (in another tab, to keep this page). Nothing was changed."
        : "The server gave an unexpected answer (HTTP " + response.status + "). Reload the page to see the current state.";
      return { ok: false, status: response.redirected ? 401 : response.status, body: { detail } };
    }
    return { ok: response.ok, status: response.status, body };
  }

  document.addEventListener("submit", async (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || event.defaultPrevented) return;
    if (!page.contains(form)) return;
    event.preventDefault();
    const buttons = form.querySelectorAll("button[type=submit]");
    buttons.forEach((b) => { b.disabled = true; });
    const isRollback = form.id === "rollback-form";
    const errorBox = isRollback ? document.getElementById("rollback-error") : null;
    try {
      const result = await post(form);
      if (result.ok) {
        if (isRollback) { dialog.close(); form.reset(); }
        const message = say(result.body && result.body.message, "success");
        answeredAt = performance.now();
        apply(result.body && result.body.status, true);
        // The "Roll back…" link that had focus is gone now: keep keyboard users on the news.
        if (isRollback && message) message.focus();
      } else {
        const text = describeRefusal(result.body, result.status);
        if (errorBox) {
          errorBox.replaceChildren(Object.assign(document.createElement("p"), { className: "message error", textContent: text }));
        } else {
          say(text, "error");
        }
      }
    } catch (err) {
      say("Could not reach the server: " + err.message + ". Nothing was changed by this page.", "error");
    } finally {
      buttons.forEach((b) => { b.disabled = false; });
    }
  });

  document.addEventListener("click", (event) => {
    const opener = event.target.closest("[data-open-dialog]");
    if (opener && dialog && typeof dialog.showModal === "function") {
      event.preventDefault();
      document.getElementById("rollback-error").replaceChildren();
      if (!dialog.open) dialog.showModal();
      document.getElementById("rollback-reason").focus();
      return;
    }
    const closer = event.target.closest("[data-close-dialog]");
    if (closer && dialog) {
      event.preventDefault();
      dialog.close();
    }
  });

  if (dialog && dialog.open && typeof dialog.showModal === "function") {
    // Opened by ?rollback=1 (the no-script way): make it modal now that script runs.
    dialog.close();
    dialog.showModal();
    document.getElementById("rollback-reason").focus();
  }

  setInterval(tick, 1000);
  tick();
  poll();
})();
