// The pages' little behaviour (docs/pages.md): the cluster graph (cytoscape.js) and the
// steward desk's keys. Everything else is htmx attributes in the templates.
(function () {
  function drawCluster() {
    var holder = document.getElementById("cluster");
    var data = document.getElementById("cluster-data");
    if (!holder || !data || typeof cytoscape === "undefined") return;
    cytoscape({
      container: holder,
      elements: JSON.parse(data.textContent),
      layout: { name: "cose", animate: false, padding: 20 },
      style: [
        { selector: "node", style: { label: "data(label)", "font-size": 9, "background-color": "#8c959f", width: 14, height: 14 } },
        { selector: "node[kind = 'record']", style: { "background-color": "#0b5cad", width: 22, height: 22 } },
        { selector: "node[kind = 'outside']", style: { "background-color": "#fff", "border-width": 2, "border-color": "#0b5cad" } },
        { selector: "edge", style: { width: 1, "line-color": "#d0d7de", "curve-style": "bezier" } },
        { selector: "edge[kind = 'match']", style: { width: 3, "line-color": "#1a7f37", label: "data(label)", "font-size": 9 } },
        { selector: "edge[kind = 'near']", style: { width: 2, "line-style": "dashed", "line-color": "#cf222e", label: "data(label)", "font-size": 9 } },
        { selector: "edge[status = 'rejected']", style: { "line-color": "#cf222e", "line-style": "dotted" } }
      ]
    });
  }

  function typing(event) {
    var t = event.target;
    return t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT" || t.isContentEditable);
  }

  // y confirm, n reject, s skip, u undo: the last decided pair back on the desk.
  document.addEventListener("keydown", function (event) {
    var desk = document.getElementById("desk");
    if (!desk || event.ctrlKey || event.metaKey || event.altKey) return;
    // A key pressed while the desk is still loading or settling would act on a form htmx
    // has not wired yet: wait for the page to be ready.
    if (desk.classList.contains("htmx-request") || desk.classList.contains("htmx-settling") ||
        document.querySelector("#desk .htmx-request, #desk .htmx-added")) return;
    if (typing(event) && event.key !== "Enter") return;
    var ids = { y: "confirm", n: "reject", s: "skip" };
    if (ids[event.key]) {
      var button = document.getElementById(ids[event.key]);
      if (button) { event.preventDefault(); button.click(); }
    } else if (event.key === "u") {
      var last = document.querySelector("#desk .desk");
      var a = last && last.getAttribute("data-last-a"), b = last && last.getAttribute("data-last-b");
      if (a && b) {
        event.preventDefault();
        htmx.ajax("GET", "/ui/desk/pair?a=" + encodeURIComponent(a) + "&b=" + encodeURIComponent(b), "#desk");
      }
    }
  });

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", drawCluster);
  else drawCluster();
})();
