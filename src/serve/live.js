// The dev server's live-reload client, placed in served pages only (never in
// built files). It reloads on a rebuild that changed this page, swaps the
// stylesheets after a CSS-only change, shows and clears the error overlay,
// and reconnects after a server restart (a new boot id then reloads). Every
// event carries the server's rebuild count as its id, and the page was
// answered with the count it was built at (the Server-Timing header): when
// the stream opens after a rebuild this page never heard of, it reloads.
(function () {
  var here = location.pathname, es, seen = builtAt();
  function builtAt() {
    var nav = performance.getEntriesByType ? performance.getEntriesByType("navigation")[0] : null;
    var timing = nav && nav.serverTiming ? nav.serverTiming.filter(function (t) { return t.name === "funnelcake"; })[0] : null;
    return timing ? timing.description : "";
  }
  function heard(e) { if (e.lastEventId) seen = e.lastEventId; }
  function overlay(text) {
    var o = document.getElementById("__funnelcake-overlay");
    if (!text) { if (o) o.remove(); return; }
    if (!o) {
      o = document.createElement("div");
      o.id = "__funnelcake-overlay";
      o.setAttribute("role", "alert");
      o.dir = "ltr";
      o.style.cssText = "position:fixed;inset:0;z-index:2147483647;background:rgba(20,20,24,.94);color:#fff;font:14px/1.5 ui-monospace,monospace;padding:2rem;overflow:auto;white-space:pre-wrap;text-align:left";
      document.body.appendChild(o);
    }
    // The server sends the errors as escaped HTML (paths isolated in <bdi>).
    o.innerHTML = "funnelcake: the build failed; still showing the last good build.\n\n" + text;
  }
  function swapStylesheets() {
    document.querySelectorAll('link[rel="stylesheet"]').forEach(function (l) {
      var u = new URL(l.href);
      u.searchParams.set("t", Date.now());
      var n = l.cloneNode();
      n.href = u.href;
      n.onload = function () { l.remove(); };
      l.after(n);
    });
  }
  function connect() {
    es = window.__funnelcakeEvents = new EventSource("/__funnelcake/events");
    es.addEventListener("reload", function (e) {
      heard(e);
      var urls = e.data.split(" ");
      // "*", this page, or any file that is not a page (an image, a script).
      if (urls.indexOf("*") >= 0 || urls.indexOf(here) >= 0 ||
          urls.some(function (x) { return !/\.html$|\/$/.test(x); })) location.reload();
    });
    es.addEventListener("css", function (e) { heard(e); swapStylesheets(); });
    es.addEventListener("build-error", function (e) { heard(e); overlay(e.data); });
    es.addEventListener("hello", function (e) {
      var restarted = window.__funnelcakeBoot && window.__funnelcakeBoot !== e.data;
      var missed = seen && e.lastEventId && seen !== e.lastEventId;
      window.__funnelcakeBoot = e.data;
      if (restarted || missed) location.reload();
    });
    es.addEventListener("bye", function () { es.close(); setTimeout(connect, 500); });
    es.onerror = function () { if (es.readyState === 2) setTimeout(connect, 1000); };
  }
  connect();
})();
