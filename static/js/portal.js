/*
 * Rammeaftaleportalen: starts the DKFDS components.
 *
 * Loaded in <head> without defer, so the "js" class is on <html> before the first paint and the
 * no-JavaScript fallbacks in portal.css never flash. DKFDS itself loads with defer and is ready
 * when DOMContentLoaded fires. No inline scripts, so a strict Content-Security-Policy works.
 */
(function () {
  "use strict";

  var root = document.documentElement;
  root.classList.remove("no-js");
  root.classList.add("js");

  // Elements matching selector in scope, scope itself included.
  function each(scope, selector, callback) {
    if (scope.matches && scope.matches(selector)) {
      callback(scope);
    }
    scope.querySelectorAll(selector).forEach(callback);
  }

  // Components inside content that htmx swaps in; the page-wide parts (navigation) start once.
  function initWithin(scope) {
    var DKFDS = window.DKFDS;
    if (!DKFDS || !scope || !scope.querySelectorAll) {
      return;
    }
    each(scope, ".accordion, .accordion-bordered:not(.accordion)", function (el) {
      new DKFDS.Accordion(el).init();
    });
    each(scope, ".alert.has-close", function (el) {
      new DKFDS.Alert(el).init();
    });
    each(scope, ".js-dropdown", function (el) {
      new DKFDS.Dropdown(el).init();
    });
    each(scope, ".tooltip-wrapper", function (el) {
      new DKFDS.Tooltip(el).init();
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (window.DKFDS) {
      window.DKFDS.init();
    }
  });

  // htmx fires htmx:load for every element it adds; the first one is <body>, which DKFDS.init
  // above has already covered.
  document.addEventListener("htmx:load", function (event) {
    var elt = event.detail && event.detail.elt;
    if (elt && elt !== document.body) {
      initWithin(elt);
    }
  });
})();
