/* PSA technician UI: small progressive enhancements. Every page works without this file. */
(function () {
  "use strict";

  // Ask before destructive form submissions (forms carrying data-confirm).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var message = form.getAttribute && form.getAttribute("data-confirm");
    if (message && !window.confirm(message)) {
      event.preventDefault();
    }
  });

  // Copy the text of the element named by data-copy (a CSS selector) to the clipboard.
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-copy]");
    if (!button) return;
    var source = document.querySelector(button.getAttribute("data-copy"));
    if (!source) return;
    var text = source.textContent.trim();
    var label = button.textContent;
    var done = function (ok) {
      button.textContent = ok ? "Copied" : "Select and copy it by hand";
      window.setTimeout(function () { button.textContent = label; }, 2500);
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(function () { done(true); }, function () { done(false); });
    } else {
      var range = document.createRange();
      range.selectNodeContents(source);
      var selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
      var ok = false;
      try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
      done(ok);
    }
  });

  // Filter the permission-node checkboxes by text; groups with a match open, the rest close.
  function setupNodeFilter(input) {
    var picker = document.querySelector(input.getAttribute("data-node-filter"));
    if (!picker) return;
    input.closest(".node-filter").hidden = false;
    var groups = picker.querySelectorAll(".node-group");
    var initiallyOpen = Array.prototype.map.call(groups, function (group) { return group.open; });
    input.addEventListener("input", function () {
      var query = input.value.trim().toLowerCase();
      groups.forEach(function (group, index) {
        var matches = 0;
        group.querySelectorAll("li[data-node]").forEach(function (item) {
          var hit = !query || item.getAttribute("data-node").indexOf(query) !== -1;
          item.hidden = !hit;
          if (hit) matches += 1;
        });
        var nameHit = query && group.querySelector(".node-group-name").textContent.toLowerCase().indexOf(query) !== -1;
        if (nameHit) {
          group.querySelectorAll("li[data-node]").forEach(function (item) { item.hidden = false; });
        }
        group.hidden = Boolean(query) && !matches && !nameHit;
        group.open = query ? Boolean(matches || nameHit) : initiallyOpen[index];
      });
    });
  }

  // "?" shows the page's keyboard shortcuts, unless the user turned single-key shortcuts off (WCAG 2.1.4).
  function typing(element) {
    var tag = (element && element.tagName || "").toLowerCase();
    return tag === "input" || tag === "textarea" || tag === "select" || (element && element.isContentEditable);
  }
  document.addEventListener("keydown", function (event) {
    if (event.key !== "?" || event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
    if (document.body.getAttribute("data-shortcuts") !== "on") return;
    var help = document.getElementById("shortcut-help");
    if (help && !help.open && help.showModal) { event.preventDefault(); help.showModal(); }
  });

  // A character counter under text inputs with a limit (data-char-counter): the browser cuts longer text silently.
  function setupCounter(input) {
    var max = parseInt(input.getAttribute("maxlength"), 10);
    if (!max) return;
    var counter = document.createElement("p");
    counter.className = "char-counter";
    counter.setAttribute("aria-live", "polite");
    input.insertAdjacentElement("afterend", counter);
    var note = "";
    var update = function () {
      counter.textContent = input.value.length + " / " + max + " characters" + note;
      counter.classList.toggle("is-full", input.value.length >= max);
    };
    input.addEventListener("paste", function (event) {
      var pasted = (event.clipboardData && event.clipboardData.getData("text")) || "";
      var room = max - input.value.length + (input.selectionEnd - input.selectionStart);
      note = pasted.length > room ? " (the pasted text was " + pasted.length + " characters and was cut to fit)" : "";
    });
    input.addEventListener("input", function () { window.setTimeout(function () { update(); note = ""; }, 0); });
    update();
  }

  // Small screens: the navigation folds behind the Menu button and filter panels start folded, so the list shows first.
  var SMALL = window.matchMedia ? window.matchMedia("(max-width: 767px)") : { matches: false };
  function setupSmallScreens() {
    document.documentElement.classList.add("js");
    var toggle = document.querySelector("[data-menu-toggle]");
    var shell = document.querySelector(".shell");
    if (toggle && shell) {
      toggle.hidden = false;
      toggle.addEventListener("click", function () {
        var open = shell.classList.toggle("nav-open");
        toggle.setAttribute("aria-expanded", open ? "true" : "false");
        if (open) { var first = document.querySelector("#sidenav a"); if (first) first.focus(); }
      });
      document.addEventListener("keydown", function (event) {
        if (event.key === "Escape" && shell.classList.contains("nav-open")) {
          shell.classList.remove("nav-open");
          toggle.setAttribute("aria-expanded", "false");
          toggle.focus();
        }
      });
    }
    if (SMALL.matches) {
      document.querySelectorAll("details[data-fold-on-small]").forEach(function (fold) { fold.open = false; });
    }
    markScrollable();
    window.addEventListener("resize", markScrollable);
  }

  // A region that scrolls sideways must take keyboard focus, or keyboard users cannot scroll it.
  function markScrollable() {
    document.querySelectorAll("main table, main .table-wrap, main pre").forEach(function (node) {
      var scrolls = node.scrollWidth > node.clientWidth + 1 && getComputedStyle(node).overflowX !== "visible";
      if (scrolls && !node.hasAttribute("tabindex")) {
        node.setAttribute("tabindex", "0");
        node.setAttribute("data-scroll-focus", "");
      } else if (!scrolls && node.hasAttribute("data-scroll-focus")) {
        node.removeAttribute("tabindex");
        node.removeAttribute("data-scroll-focus");
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    setupSmallScreens();
    document.querySelectorAll("[data-char-counter]").forEach(setupCounter);
    document.querySelectorAll("[data-node-filter]").forEach(setupNodeFilter);
    var target = document.querySelector("[data-autofocus]");
    if (target) {
      target.focus();
    }
  });
  // Colours chosen in the data (tag and priority colours) arrive as data attributes, not inline styles, because the
  // Content-Security-Policy forbids style attributes; setting them through the CSSOM is allowed.
  var COLOUR_PROPERTIES = { tagBg: "--tag-bg", tagFg: "--tag-fg", dot: "--dot" };
  function applyColours(root) {
    root.querySelectorAll("[data-tag-bg], [data-tag-fg], [data-dot]").forEach(function (element) {
      Object.keys(COLOUR_PROPERTIES).forEach(function (name) {
        var value = element.dataset[name];
        if (value) element.style.setProperty(COLOUR_PROPERTIES[name], value);
      });
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { applyColours(document); });
  } else {
    applyColours(document);
  }
})();
