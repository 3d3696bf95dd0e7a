// movepress serve: reloads this page when the site is rebuilt, and shows what
// went wrong when a rebuild fails. The development server adds this script to
// every page it serves; built sites never contain it.
(function () {
  "use strict";

  // The stream has delivered an event at least once, so a later error means
  // the server went away (restarted) rather than never having answered.
  var opened = false;
  var dropped = false;
  var panel = null;

  var events = new EventSource("/__movepress/events");

  events.addEventListener("hello", function () {
    // Back after a drop: the site may have changed while the server was down.
    if (dropped) {
      location.reload();
    }
    opened = true;
  });

  events.addEventListener("reload", function () {
    location.reload();
  });

  events.addEventListener("problems", function (event) {
    opened = true;
    dropped = false;
    var problems = [];
    try {
      problems = JSON.parse(event.data);
    } catch (error) {
      // Still tell the reader the build failed, even without the details.
    }
    showProblems(Array.isArray(problems) ? problems : []);
  });

  events.addEventListener("error", function () {
    if (opened) {
      dropped = true;
    }
  });

  // Styles are set through the CSSOM, which a Content-Security-Policy without
  // 'unsafe-inline' allows, and on every element, so the site's own CSS
  // cannot make the panel unreadable.
  function element(tag, style, text) {
    var node = document.createElement(tag);
    Object.assign(node.style, {
      margin: "0",
      padding: "0",
      font: "inherit",
      color: "inherit",
      background: "transparent",
      border: "0",
      textAlign: "left",
      textTransform: "none",
      letterSpacing: "normal",
    }, style);
    if (text !== undefined) {
      node.textContent = text;
    }
    return node;
  }

  function showProblems(problems) {
    closePanel();

    var host = element("div", {
      position: "fixed",
      top: "0",
      left: "0",
      right: "0",
      zIndex: "2147483647",
    });
    // A shadow root keeps the site's selectors (h2, ul, button) off the panel.
    var root = host.attachShadow ? host.attachShadow({ mode: "open" }) : host;

    var box = element("div", {
      maxHeight: "80vh",
      overflow: "auto",
      padding: "1rem 1.25rem",
      background: "#ffffff",
      color: "#111111",
      borderBottom: "6px solid #8b0000",
      boxShadow: "0 4px 16px rgba(0, 0, 0, 0.35)",
      font: "16px/1.5 system-ui, -apple-system, 'Segoe UI', sans-serif",
    });
    box.setAttribute("role", "alertdialog");
    box.setAttribute("aria-live", "assertive");
    box.setAttribute("aria-labelledby", "movepress-problems-title");
    box.setAttribute("aria-describedby", "movepress-problems-list");

    var close = element("button", {
      float: "right",
      marginLeft: "1rem",
      padding: "0.25rem 0.75rem",
      background: "#ffffff",
      color: "#111111",
      border: "2px solid #111111",
      borderRadius: "4px",
      cursor: "pointer",
    }, "Close");
    close.type = "button";
    close.setAttribute("aria-label", "Close the list of problems");
    close.addEventListener("click", closePanel);

    var title = element("h2", {
      fontSize: "1.25rem",
      fontWeight: "700",
      color: "#8b0000",
      marginBottom: "0.25rem",
    }, "movepress could not rebuild the site");
    title.id = "movepress-problems-title";

    var note = element("p", { marginBottom: "0.75rem" },
      "This page is from the last build that worked. Fix the problems below " +
      "and save: the page reloads by itself.");

    var list = element("ul", { listStyle: "none" });
    list.id = "movepress-problems-list";
    problems.forEach(function (problem) {
      var item = element("li", {
        padding: "0.5rem 0",
        borderTop: "1px solid #bbbbbb",
      });
      item.appendChild(element("div", {
        fontFamily: "ui-monospace, SFMono-Regular, Menlo, Consolas, monospace",
        fontWeight: "700",
        wordBreak: "break-all",
      }, String(problem.location || "")));
      item.appendChild(element("div", {}, String(problem.message || "")));
      if (problem.hint) {
        item.appendChild(element("div", { color: "#333333" },
          "hint: " + String(problem.hint)));
      }
      list.appendChild(item);
    });

    box.appendChild(close);
    box.appendChild(title);
    box.appendChild(note);
    box.appendChild(list);
    root.appendChild(box);
    (document.body || document.documentElement).appendChild(host);
    panel = host;
    close.focus();
  }

  function closePanel() {
    if (panel && panel.parentNode) {
      panel.parentNode.removeChild(panel);
    }
    panel = null;
  }

  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && panel) {
      closePanel();
    }
  });
})();
