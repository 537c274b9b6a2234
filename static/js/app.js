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

  document.addEventListener("DOMContentLoaded", function () {
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
