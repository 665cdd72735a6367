// A sending's progress, updated in place while it runs: no page reload, so focus and the
// reader's place stay (a timed reload fails WCAG 2.2.1; without JavaScript the page still
// reloads itself through its <noscript> refresh).
(function () {
  "use strict";
  const status = document.querySelector("[data-batch-status]");
  if (!status || !status.hasAttribute("data-refresh")) return;
  const seconds = Number(status.dataset.refresh) || 3;

  async function update() {
    let fresh = null;
    try {
      const response = await fetch(window.location.href, { credentials: "same-origin" });
      if (response.ok) {
        const page = new DOMParser().parseFromString(await response.text(), "text/html");
        fresh = page.querySelector("[data-batch-status]");
      }
    } catch (error) {
      fresh = null;
    }
    if (fresh) status.innerHTML = fresh.innerHTML;
    if (!fresh || fresh.hasAttribute("data-refresh")) window.setTimeout(update, seconds * 1000);
  }

  window.setTimeout(update, seconds * 1000);
})();
