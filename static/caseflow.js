// Progressive enhancement only: every page works without JavaScript.
import { initAll } from "./vendor/govuk-frontend.min.js";
document.body.classList.add("js-enabled", "govuk-frontend-supported");
initAll();
// A print button where the page offers one (the browser's print dialogue also saves a PDF).
for (const button of document.querySelectorAll("[data-caseflow-print]")) {
  button.hidden = false;
  button.addEventListener("click", () => window.print());
}
