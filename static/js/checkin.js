// Check-in page: scan the ticket's QR code with the phone camera and submit what it
// carries, and keep the "checked in / expected" counter live. Typing the reference works
// without any of this.
(function () {
  "use strict";

  var form = document.getElementById("checkin-lookup");
  var input = document.getElementById("checkin-code");
  var scanButton = document.getElementById("checkin-scan");
  var video = document.getElementById("checkin-video");
  var scanError = document.getElementById("checkin-scan-error");
  var counter = document.getElementById("checkin-counter");

  function refreshCounter() {
    fetch(counter.dataset.url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data) { return; }
        counter.querySelector("[data-counter=checked_in]").textContent = data.checked_in;
        counter.querySelector("[data-counter=expected]").textContent = data.expected;
      })
      .catch(function () { /* offline for a moment: the next refresh tries again */ });
  }

  if (counter) {
    window.setInterval(refreshCounter, 10000);
  }

  if (!form || !input) { return; }
  // Ready for the next ticket: the cursor waits in the reference field.
  if (!document.querySelector(".checkin-button")) { input.focus(); }

  var hasCamera = navigator.mediaDevices && navigator.mediaDevices.getUserMedia;
  var detector = null;
  if ("BarcodeDetector" in window) {
    try { detector = new window.BarcodeDetector({ formats: ["qr_code"] }); } catch (e) { detector = null; }
  }
  if (!hasCamera || (!detector && !window.jsQR)) { return; }
  scanButton.hidden = false;

  var stream = null;
  var canvas = document.createElement("canvas");
  var context = canvas.getContext("2d", { willReadFrequently: true });

  function stop() {
    if (stream) { stream.getTracks().forEach(function (track) { track.stop(); }); }
    stream = null;
    video.hidden = true;
  }

  function found(text) {
    stop();
    input.value = text;
    // requestSubmit runs the page's submit handlers (the offline check-in decides locally).
    if (form.requestSubmit) { form.requestSubmit(); } else { form.submit(); }
  }

  function decodeFrame() {
    if (!stream) { return; }
    if (video.readyState < 2) { window.requestAnimationFrame(decodeFrame); return; }
    if (detector) {
      detector.detect(video).then(function (codes) {
        if (codes.length) { found(codes[0].rawValue); } else { window.requestAnimationFrame(decodeFrame); }
      }).catch(function () { window.requestAnimationFrame(decodeFrame); });
      return;
    }
    canvas.width = video.videoWidth;
    canvas.height = video.videoHeight;
    context.drawImage(video, 0, 0, canvas.width, canvas.height);
    var image = context.getImageData(0, 0, canvas.width, canvas.height);
    var code = window.jsQR(image.data, image.width, image.height, { inversionAttempts: "dontInvert" });
    if (code && code.data) { found(code.data); } else { window.requestAnimationFrame(decodeFrame); }
  }

  scanButton.addEventListener("click", function () {
    if (stream) { stop(); return; }
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false })
      .then(function (media) {
        stream = media;
        scanError.hidden = true;
        video.srcObject = media;
        video.hidden = false;
        return video.play();
      })
      .then(function () { window.requestAnimationFrame(decodeFrame); })
      .catch(function () { stop(); scanError.hidden = false; });
  });
})();
