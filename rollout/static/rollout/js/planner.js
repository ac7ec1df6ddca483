// The rollout planner: put regions into phases by drag and drop, or with each region's "Phase"
// menu (keyboard), add and remove phases and gate rows. The form's own fields stay the truth:
// every move rewrites the phases' "Regions" text fields, which is what a page without
// JavaScript types by hand, so the server sees the same form either way.
(() => {
  "use strict";

  document.querySelectorAll("select[data-autosubmit]").forEach((select) => {
    select.addEventListener("change", () => select.form && select.form.submit());
  });
  document.documentElement.classList.add("rrm-js");

  const form = document.getElementById("plan-form");
  if (!form) return;
  const pool = document.getElementById("region-pool");
  const phaseList = document.getElementById("phases");
  const gateBody = document.getElementById("gates");
  const createButton = document.getElementById("create-button");
  const changedNote = document.getElementById("plan-changed");
  const checkedDigest = form.querySelector("input[name=checked_digest]");

  const phases = () => Array.from(phaseList.querySelectorAll(":scope > .phase-box"));
  const zoneOf = (box) => box.querySelector("[data-phase-zone]");
  const codesField = (box) => box.querySelector("input[name$='-regions']");

  function planChanged() {
    if (checkedDigest && checkedDigest.value) {
      checkedDigest.value = "";
      createButton.disabled = true;
      changedNote.hidden = false;
    }
  }

  // Renumber the formset's fields (phase-3-regions ...) and labels after adding or removing.
  function renumber(rows, prefix) {
    rows.forEach((row, i) => {
      row.querySelectorAll("[name],[id],[for]").forEach((el) => {
        ["name", "id", "for"].forEach((attr) => {
          const value = el.getAttribute(attr);
          if (value) el.setAttribute(attr, value.replace(new RegExp(prefix + "-(\\d+|__prefix__)-"), prefix + "-" + i + "-"));
        });
      });
      if (row.classList.contains("phase-box")) {
        row.dataset.index = String(i);
        row.querySelectorAll(".phase-number").forEach((n) => { n.textContent = String(i + 1); });
        zoneOf(row).setAttribute("aria-label", "Regions of phase " + (i + 1));
        const remove = row.querySelector(".remove-phase");
        if (remove) remove.setAttribute("aria-label", "Remove phase " + (i + 1));
      }
    });
    form.querySelector("input[name=" + prefix + "-TOTAL_FORMS]").value = String(rows.length);
  }

  // Each region card's menu lists "not in the rollout" and every phase.
  function refreshMenus() {
    const count = phases().length;
    form.querySelectorAll(".region-card").forEach((card) => {
      const select = card.querySelector(".move-select");
      const box = card.closest(".phase-box");
      const current = box ? String(Number(box.dataset.index) + 1) : "";
      select.replaceChildren(new Option("not in the rollout", ""));
      for (let n = 1; n <= count; n += 1) select.add(new Option("Phase " + n, String(n)));
      select.value = current;
    });
  }

  // The text fields follow the cards.
  function syncFields() {
    phases().forEach((box) => {
      const codes = Array.from(zoneOf(box).querySelectorAll(".region-card")).map((c) => c.dataset.code);
      codesField(box).value = codes.join(", ");
      box.classList.toggle("empty", codes.length === 0);
    });
    refreshMenus();
  }

  // The cards follow the text fields (typed by hand: the no-script way still works with script).
  function placeFromFields() {
    const cards = {};
    form.querySelectorAll(".region-card").forEach((c) => { cards[c.dataset.code.toUpperCase()] = c; });
    const placed = new Set();
    phases().forEach((box) => {
      codesField(box).value.split(/[\s,;]+/).filter(Boolean).forEach((code) => {
        const card = cards[code.toUpperCase()];
        if (card && !placed.has(card)) { zoneOf(box).appendChild(card); placed.add(card); }
      });
    });
    Object.values(cards).forEach((c) => { if (!placed.has(c)) pool.appendChild(c); });
    syncFields();
  }

  function moveCard(card, phaseNumber) {
    const target = phaseNumber ? zoneOf(phases()[phaseNumber - 1]) : pool;
    target.appendChild(card);
    syncFields();
    planChanged();
  }

  function addPhase() {
    const template = document.getElementById("phase-template");
    const fragment = template.content.cloneNode(true);
    phaseList.appendChild(fragment);
    renumber(phases(), "phase");
    wireZone(zoneOf(phases()[phases().length - 1]));
    syncFields();
    planChanged();
  }

  function removePhase(box) {
    zoneOf(box).querySelectorAll(".region-card").forEach((c) => pool.appendChild(c));
    box.remove();
    renumber(phases(), "phase");
    syncFields();
    planChanged();
  }

  function addGate() {
    const template = document.getElementById("gate-template");
    gateBody.appendChild(template.content.cloneNode(true));
    renumber(Array.from(gateBody.querySelectorAll(".gate-row")), "gate");
    planChanged();
  }

  // Drag and drop.
  let dragged = null;
  function wireZone(zone) {
    zone.addEventListener("dragover", (event) => {
      if (!dragged) return;
      event.preventDefault();
      zone.classList.add("over");
    });
    zone.addEventListener("dragleave", () => zone.classList.remove("over"));
    zone.addEventListener("drop", (event) => {
      event.preventDefault();
      zone.classList.remove("over");
      if (!dragged) return;
      const box = zone.closest(".phase-box");
      moveCard(dragged, box ? Number(box.dataset.index) + 1 : 0);
    });
  }
  form.addEventListener("dragstart", (event) => {
    const card = event.target.closest && event.target.closest(".region-card");
    if (!card) return;
    dragged = card;
    card.classList.add("dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", card.dataset.code);
  });
  form.addEventListener("dragend", () => {
    if (dragged) dragged.classList.remove("dragging");
    dragged = null;
  });
  // A phase's whole box accepts drops, not only its list of cards.
  phaseList.addEventListener("dragover", (event) => {
    if (dragged && event.target.closest(".phase-box")) event.preventDefault();
  });
  phaseList.addEventListener("drop", (event) => {
    const box = event.target.closest(".phase-box");
    if (!dragged || !box || event.target.closest("[data-phase-zone]")) return;
    event.preventDefault();
    moveCard(dragged, Number(box.dataset.index) + 1);
  });

  // Clicks and keyboard.
  form.addEventListener("change", (event) => {
    const target = event.target;
    if (target.classList.contains("move-select")) {
      const card = target.closest(".region-card");
      moveCard(card, Number(target.value) || 0);
      const select = card.querySelector(".move-select");
      if (select) select.focus();
      return;
    }
    if (target.name && /^phase-\d+-regions$/.test(target.name)) placeFromFields();
    planChanged();
  });
  form.addEventListener("input", (event) => {
    if (!event.target.classList.contains("move-select")) planChanged();
  });
  form.addEventListener("click", (event) => {
    const removeP = event.target.closest(".remove-phase");
    if (removeP) { removePhase(removeP.closest(".phase-box")); return; }
    const removeG = event.target.closest(".remove-gate");
    if (removeG) {
      removeG.closest(".gate-row").remove();
      renumber(Array.from(gateBody.querySelectorAll(".gate-row")), "gate");
      planChanged();
    }
  });
  document.getElementById("add-phase").addEventListener("click", addPhase);
  document.getElementById("add-gate").addEventListener("click", addGate);

  // A check takes a moment on a big bundle: say so.
  form.addEventListener("submit", (event) => {
    const submitter = event.submitter;
    if (submitter && submitter.value === "check") {
      submitter.textContent = "Checking…";
      submitter.setAttribute("aria-busy", "true");
    }
  });

  wireZone(pool);
  phases().forEach((box) => wireZone(zoneOf(box)));
  syncFields();
})();
