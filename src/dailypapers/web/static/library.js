// Progressive enhancement of the Save and Mark-read buttons: toggle in place through the JSON
// API. Without JavaScript the same <form> posts and the server sends the browser back.
(function () {
  "use strict";
  document.addEventListener("submit", async function (event) {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.classList.contains("lib-toggle")) return;
    const button = form.querySelector("button");
    const on = button.getAttribute("aria-pressed") === "true";
    const token = form.querySelector("input[name=csrf_token]").value;
    const paper = form.dataset.paper;
    const save = form.dataset.kind === "save";
    event.preventDefault();
    button.disabled = true;
    try {
      const url = save ? (on ? "/api/me/library/" + paper : "/api/me/library") : "/api/me/read/" + paper;
      const response = await fetch(url, {
        method: on ? "DELETE" : "POST",
        headers: { "X-CSRF-Token": token, "Accept": "application/json", "Content-Type": "application/json" },
        body: save && !on ? JSON.stringify({ paper_id: paper }) : undefined,
        credentials: "same-origin",
      });
      if (response.status === 401) {
        window.location = "/login?next=" + encodeURIComponent(window.location.pathname);
        return;
      }
      if (!response.ok) { form.submit(); return; }
      const now = !on;
      button.setAttribute("aria-pressed", now ? "true" : "false");
      button.classList.toggle("is-on", now);
      if (save) {
        button.textContent = now ? "Saved" : "Save";
        form.action = now ? "/library/unsave" : "/library/save";
      } else {
        button.textContent = now ? "Read" : "Mark read";
        form.querySelector("input[name=read]").value = now ? "0" : "1";
        const item = form.closest(".paper-item");
        if (item) item.classList.toggle("is-read", now);
      }
    } catch (err) {
      form.submit();
    } finally {
      button.disabled = false;
    }
  });
})();
