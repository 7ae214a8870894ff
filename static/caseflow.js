// Progressive enhancement only: every page works without JavaScript.
import { initAll } from "./vendor/govuk-frontend.min.js";
document.body.classList.add("js-enabled", "govuk-frontend-supported");
initAll();
