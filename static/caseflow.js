// Progressive enhancement only: every page works without JavaScript.
import { initAll } from "./vendor/govuk-frontend.min.js";
document.body.classList.add("js-enabled", "govuk-frontend-supported");
initAll();
// A table wider than the screen (a phone's) scrolls inside a box of its own, not the whole page sideways; a box
// that scrolls is a named region a keyboard can reach to scroll it. Without JavaScript the page scrolls instead.
const scrollers = [];
for (const table of document.querySelectorAll("main table")) {
  const box = document.createElement("div");
  box.className = "caseflow-table-scroll";
  table.replaceWith(box);
  box.append(table);
  scrollers.push(box);
}
const reachWideTables = () => {
  for (const box of scrollers) {
    const table = box.firstElementChild;
    if (box.scrollWidth > box.clientWidth) {
      box.tabIndex = 0;
      box.setAttribute("role", "region");
      box.setAttribute("aria-label", table.caption?.textContent.trim() || "Table");
    } else {
      box.removeAttribute("tabindex");
      box.removeAttribute("role");
      box.removeAttribute("aria-label");
    }
  }
};
reachWideTables();
window.addEventListener("resize", reachWideTables);
// A print button where the page offers one (the browser's print dialogue also saves a PDF).
for (const button of document.querySelectorAll("[data-caseflow-print]")) {
  button.hidden = false;
  button.addEventListener("click", () => window.print());
}
// A field that only some choices of another ask for (a contribution's proposal, for a view on one): shown while
// one of them is chosen. Without JavaScript it is shown throughout, and the server writes it only for those choices.
for (const group of document.querySelectorAll("[data-caseflow-shown-for]")) {
  const chooser = group.closest("form")?.elements.namedItem(group.dataset.caseflowShownFor);
  if (!(chooser instanceof HTMLSelectElement)) continue;
  const asking = group.dataset.caseflowShownWith.split(" ");
  const show = () => {
    group.hidden = !asking.includes(chooser.value);
  };
  chooser.addEventListener("change", show);
  show();
}
// The import's progress: the form is sent in the background and the server reports each row checked
// (one JSON object a line), then the outcome, which replaces the page's outcome area. Without
// JavaScript the form posts as usual and the page shows the same outcome.
for (const form of document.querySelectorAll("form[data-caseflow-import]")) {
  const box = document.getElementById("import-progress");
  const bar = document.getElementById("import-progress-bar");
  const said = document.getElementById("import-progress-text");
  const outcome = document.getElementById("import-outcome");
  const button = form.querySelector("button[type=submit]");
  let running = false;
  form.addEventListener("submit", (submitted) => {
    if (!window.XMLHttpRequest || !window.FormData) return;
    submitted.preventDefault();
    if (running) return; // one import at a time: a second click would run the file twice
    running = true;
    button.disabled = true;
    const request = new XMLHttpRequest();
    let read = 0;
    box.hidden = false;
    bar.value = 0;
    said.textContent = "Sending the file…";
    const show = (line) => {
      const news = JSON.parse(line);
      if (news.percent !== undefined) {
        bar.value = news.percent;
        bar.setAttribute("aria-valuetext", `Checked ${news.checked} of about ${news.rows} rows`);
        if (news.percent % 25 === 0) said.textContent = `Checked ${news.checked} of about ${news.rows} rows`; // a few words, not a hundred
      } else if (news.html !== undefined) {
        running = false;
        button.disabled = false;
        bar.value = 100;
        said.textContent = news.status === 200 ? "Done." : "Nothing was imported.";
        outcome.innerHTML = news.html;
        outcome.focus();
      }
    };
    const take = () => {
      const lines = request.responseText.slice(read).split("\n");
      const whole = lines.slice(0, -1);
      read += whole.reduce((sum, line) => sum + line.length + 1, 0);
      whole.filter((line) => line.trim()).forEach(show);
    };
    request.upload.addEventListener("progress", (sent) => {
      if (sent.lengthComputable) said.textContent = `Sending the file: ${Math.round((100 * sent.loaded) / sent.total)}%`;
    });
    request.addEventListener("progress", () => {
      if ((request.getResponseHeader("Content-Type") || "").startsWith("application/x-ndjson")) take();
    });
    request.addEventListener("load", () => {
      if ((request.getResponseHeader("Content-Type") || "").startsWith("application/x-ndjson")) {
        take();
        const rest = request.responseText.slice(read).trim();
        if (rest) show(rest);
      } else {
        box.hidden = true;
        form.submit(); // a problem with the form itself: the page says it, as without JavaScript
      }
    });
    request.addEventListener("error", () => {
      running = false;
      button.disabled = false;
      said.textContent = "The file could not be sent. Check the connection and try again.";
    });
    request.open("POST", form.action || window.location.href);
    request.setRequestHeader("X-Caseflow-Progress", "ndjson");
    request.send(new FormData(form));
  });
}
