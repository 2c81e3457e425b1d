// The page `/` answers (with 401) when a token is required and the browser has no session: a form that
// exchanges the token for the session cookie. Self-contained like the status page; it shows no lattice data.

/** The sign-in page; `problem` (static text of the server's own) is shown above the form. */
export function renderLoginPage(problem?: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>lattice host: sign in</title>
<style>
  body { margin:0; font:14px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; background:#f6f7f9; color:#1d2430; }
  header { background:#1d2430; color:#fff; padding:14px 24px; }
  header h1 { font-size:18px; margin:0; font-weight:600; }
  main { max-width:520px; margin:40px auto; background:#fff; border:1px solid #e2e6eb; border-radius:8px; padding:20px 24px; }
  label { display:block; font-weight:600; margin-bottom:6px; }
  input { width:100%; box-sizing:border-box; padding:8px 10px; font:inherit; border:1px solid #c3cad3; border-radius:6px; }
  button { margin-top:12px; padding:8px 16px; font:inherit; font-weight:600; color:#fff; background:#3867d6; border:0; border-radius:6px; cursor:pointer; }
  .problem { color:#d64545; font-weight:600; }
  .hint { color:#6b7685; font-size:13px; }
  code { font-family:ui-monospace, SFMono-Regular, Menlo, monospace; font-size:12.5px; }
</style>
</head>
<body>
<header><h1>lattice host</h1></header>
<main>
  <p>This host's HTTP endpoints show every link definition's values, so they need its token
  (<code>http.token</code>).</p>
  ${problem === undefined ? "" : `<p class="problem" data-testid="login-problem">${escapeHtml(problem)}</p>`}
  <form method="post" action="login" data-testid="login-form">
    <label for="token">Token</label>
    <input id="token" name="token" type="password" autocomplete="current-password" required autofocus>
    <button type="submit">Open the status page</button>
  </form>
  <p class="hint">The token is exchanged for a cookie this browser keeps until it closes (HttpOnly,
  SameSite=Strict). A link of the form <code>/?token=…</code> does the same and then drops the token from
  the address. API clients send <code>Authorization: Bearer &lt;token&gt;</code>.</p>
</main>
<script>
"use strict";
// Opened from a link on another site, the browser withholds the SameSite=Strict cookie from this first
// request, though it has one: ask once from here (same site) and, if the cookie works, load the page again.
(function () {
  try {
    if (sessionStorage.getItem("lattice-signin-retried")) return;
  } catch (e) { return; }
  fetch("status", { cache: "no-store", credentials: "same-origin" }).then(function (r) {
    if (r.status === 401) return;
    sessionStorage.setItem("lattice-signin-retried", "1");
    location.replace("./");
  }).catch(function () {});
})();
</script>
</body>
</html>
`;
}

function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] as string,
  );
}
