// Progressive enhancement of the upvote button: toggle in place through the JSON API.
// Without JavaScript the same <form> posts and the server redirects back.
(function () {
  "use strict";
  document.addEventListener("submit", async function (event) {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.classList.contains("upvote-form")) return;
    const button = form.querySelector("button");
    const count = form.querySelector(".vote-count");
    const voted = button.getAttribute("aria-pressed") === "true";
    const token = form.querySelector("input[name=csrf_token]").value;
    event.preventDefault();
    button.disabled = true;
    try {
      const response = await fetch("/api/papers/" + form.dataset.paper + "/upvote", {
        method: voted ? "DELETE" : "POST",
        headers: { "X-CSRF-Token": token, "Accept": "application/json" },
        credentials: "same-origin",
      });
      if (response.status === 401) {
        const back = window.location.pathname + window.location.search + "#paper-" + form.dataset.paper;
        window.location = "/login?why=upvote&next=" + encodeURIComponent(back);
        return;
      }
      if (!response.ok) {
        form.submit();  // let the server explain (rate limit, missing paper) on a full page
        return;
      }
      const body = await response.json();
      count.textContent = body.upvotes;
      button.setAttribute("aria-pressed", body.upvoted ? "true" : "false");
      button.classList.toggle("is-voted", body.upvoted);
      button.title = body.upvoted ? "Withdraw your upvote" : "Upvote this paper";
      form.action = "/papers/" + form.dataset.paper + (body.upvoted ? "/unvote" : "/upvote");
    } catch (err) {
      form.submit();
    } finally {
      button.disabled = false;
    }
  });
})();
