// The page's first script: anything that goes wrong after it (a script that does not
// parse, an exception while drawing, a resource that fails to load, console.error) is
// shown at the top of the report and counted in <html data-errors="N">, which the
// headless-browser test (tests/sim/html_chromium_check.sh) looks for.
(function () {
  'use strict';
  var root = document.documentElement;
  var pending = [];

  function flush() {
    var main = document.getElementById('report');
    if (!main || !pending.length) return;  // not parsed yet: shown at DOMContentLoaded
    var box = document.getElementById('report-errors');
    if (!box) {
      box = document.createElement('pre');
      box.id = 'report-errors';
      box.className = 'error';
      main.insertBefore(box, main.firstChild);
    }
    while (pending.length) box.textContent += 'report error: ' + pending.shift() + '\n';
  }

  function record(message) {
    root.setAttribute('data-errors', String(Number(root.getAttribute('data-errors') || 0) + 1));
    pending.push(String(message));
    flush();
  }

  window.addEventListener('error', function (e) {
    if (e.target && e.target !== window) {  // a resource (the page should have none)
      record('failed to load ' + (e.target.src || e.target.href || e.target.tagName));
      return;
    }
    record(e.message + (e.filename ? ' (' + e.filename + ':' + e.lineno + ')' : ''));
  }, true);
  window.addEventListener('unhandledrejection', function (e) { record('unhandled rejection: ' + e.reason); });
  var consoleError = console.error;
  console.error = function () {
    record(Array.prototype.map.call(arguments, String).join(' '));
    return consoleError.apply(console, arguments);
  };
  document.addEventListener('DOMContentLoaded', flush);
})();
