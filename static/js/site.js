/* Open Day: the little JavaScript the public pages use. Everything works without it.
 * A form marked data-once submits once: the button is disabled after the first submit,
 * so a double tap sends one request. The server copes with a second one anyway. */
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("form[data-once]")) return;
    if (form.dataset.submitted === "true") {
      event.preventDefault();
      return;
    }
    form.dataset.submitted = "true";
    form.querySelectorAll("button[type=submit]").forEach(function (button) {
      button.disabled = true;
      if (button.dataset.busyLabel) button.textContent = button.dataset.busyLabel;
    });
  });
  // Coming back with the Back button shows the page from the cache: enable it again.
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) return;
    document.querySelectorAll("form[data-once]").forEach(function (form) {
      form.dataset.submitted = "false";
      form.querySelectorAll("button[type=submit]").forEach(function (button) {
        button.disabled = false;
      });
    });
  });
  // The manage link field selects itself, ready to copy.
  var link = document.getElementById("manage-link");
  if (link) link.addEventListener("focus", function () { link.select(); });
  // After a failed submit, take screen readers and the eye to the list of problems.
  var errors = document.getElementById("form-errors");
  if (errors) errors.focus();
})();
