/* Client documentation: keyboard access to the search. Every page works without this file.
 *  - "/" anywhere outside a text field moves focus to the top bar search box.
 *  - In the search results, ArrowDown / ArrowUp move between results (ArrowDown from the search box enters them),
 *    Home / End jump to the first / last one, and Escape goes back to the search box.
 */
(function () {
  "use strict";

  function typing(element) {
    if (!element) return false;
    var tag = element.tagName;
    return element.isContentEditable || tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT";
  }

  function results() {
    return Array.prototype.slice.call(document.querySelectorAll("[data-search-result]"));
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    var box = document.querySelector("[data-global-search]");
    if (!box) return;
    var active = document.activeElement;

    if (event.key === "/" && !typing(active) && document.body.getAttribute("data-shortcuts") !== "off") {
      event.preventDefault();
      box.focus();
      box.select();
      return;
    }

    var items = results();
    if (!items.length) return;
    var index = items.indexOf(active);
    if (active === box && event.key === "ArrowDown") {
      event.preventDefault();
      items[0].focus();
    } else if (index !== -1) {
      var next = null;
      if (event.key === "ArrowDown") next = items[Math.min(index + 1, items.length - 1)];
      else if (event.key === "ArrowUp") next = index === 0 ? box : items[index - 1];
      else if (event.key === "Home") next = items[0];
      else if (event.key === "End") next = items[items.length - 1];
      else if (event.key === "Escape") next = box;
      if (next) {
        event.preventDefault();
        next.focus();
      }
    }
  });
})();
