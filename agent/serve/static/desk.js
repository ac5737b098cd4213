// The review desk's only script (served locally; the pages work without it, this keeps
// them live): a run's page reloads when the run moves on, a preview job's progress bar
// follows the job, class swatches get their colour.
"use strict";

function poll(url, everyMs, onData) {
  const tick = () => fetch(url, {credentials: "same-origin", cache: "no-store"})
    .then((r) => (r.ok ? r.json() : null))
    .then((d) => { if (d && onData(d) !== false) setTimeout(tick, everyMs); })
    .catch(() => setTimeout(tick, everyMs * 2));
  setTimeout(tick, everyMs);
}

document.addEventListener("DOMContentLoaded", () => {
  const live = document.getElementById("live");
  if (live) {
    poll(live.dataset.poll, 1500, (s) => {
      if (s.key !== live.dataset.key) { location.reload(); return false; }
      const busy = s.job && (s.job.state === "queued" || s.job.state === "running");
      return busy || !["done", "failed"].includes(s.state);  // a finished run stops polling
    });
  }
  document.querySelectorAll("[data-job]").forEach((el) => {
    const bar = el.querySelector("progress");
    const text = el.querySelector(".job-text");
    poll(`/jobs/${el.dataset.job}.json`, 700, (j) => {
      if (bar) { bar.max = j.total || 1; bar.value = j.done; }
      if (text) { text.textContent = `${j.done} of ${j.total}`; }
      if (j.state === "done" || j.state === "failed") { location.reload(); return false; }
      return true;
    });
  });
  document.querySelectorAll(".swatch[data-colour]").forEach((el) => {
    el.style.background = el.dataset.colour;
  });
  document.querySelectorAll("img.hide-broken").forEach((img) => {
    img.addEventListener("error", () => img.closest("figure").classList.add("hidden"));
  });
});
