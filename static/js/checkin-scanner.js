/* The check-in page's camera: a "Scan QR code" button that reads the visitor's
 * QR code (jsQR, vendored under static/vendor/jsqr) and fills and submits the
 * page's own code form, so the server sees exactly what typing the code sends.
 *
 * Without this script, without a secure context (HTTPS or localhost) or without
 * a camera API the form works as before; the page then says why it cannot scan.
 * Every word shown comes from the page (translated there), none from here.
 */
(function () {
  "use strict";

  var section = document.getElementById("qr-scanner");
  if (!section) {
    return;
  }
  var form = document.getElementById(section.dataset.form);
  var input = document.getElementById(section.dataset.input);
  var startButton = section.querySelector("[data-scan-start]");
  var stopButton = section.querySelector("[data-scan-stop]");
  var video = section.querySelector("[data-scan-video]");
  var status = section.querySelector("[data-scan-status]");
  var unavailable = document.getElementById("qr-scanner-unavailable");

  var canScan =
    window.isSecureContext &&
    typeof window.jsQR === "function" &&
    navigator.mediaDevices &&
    typeof navigator.mediaDevices.getUserMedia === "function";
  if (!form || !input || !canScan) {
    if (unavailable) {
      unavailable.hidden = false;
    }
    return;
  }
  section.hidden = false;

  var CODE = /^[A-Za-z0-9]{1,12}$/;
  var CHECKIN_PATH = /\/staff\/checkin\/([A-Za-z0-9]{1,12})\/?$/;
  var MAX_WIDTH = 640; // frames are scaled down to this before decoding
  var canvas = document.createElement("canvas");
  var context = canvas.getContext("2d", { willReadFrequently: true });
  var stream = null;
  var frame = null;

  /* What the QR code holds: the staff check-in page of the booking (as the
   * resident's booking page draws it) or the bare code. */
  function codeFrom(text) {
    var value = (text || "").trim();
    if (CODE.test(value)) {
      return value.toUpperCase();
    }
    try {
      var match = CHECKIN_PATH.exec(new URL(value).pathname);
      return match ? match[1].toUpperCase() : null;
    } catch (error) {
      return null;
    }
  }

  function say(text) {
    status.textContent = text || "";
  }

  function stop() {
    if (frame !== null) {
      window.cancelAnimationFrame(frame);
      frame = null;
    }
    if (stream) {
      stream.getTracks().forEach(function (track) {
        track.stop();
      });
      stream = null;
    }
    video.srcObject = null;
    video.hidden = true;
    stopButton.hidden = true;
    startButton.hidden = false;
  }

  function submit(code) {
    input.value = code;
    say(section.dataset.found.replace("{code}", code));
    if (typeof form.requestSubmit === "function") {
      form.requestSubmit();
    } else {
      form.submit();
    }
  }

  function scan() {
    frame = null;
    if (!stream) {
      return;
    }
    if (video.readyState >= video.HAVE_ENOUGH_DATA && video.videoWidth) {
      var scale = Math.min(1, MAX_WIDTH / video.videoWidth);
      canvas.width = Math.round(video.videoWidth * scale);
      canvas.height = Math.round(video.videoHeight * scale);
      context.drawImage(video, 0, 0, canvas.width, canvas.height);
      var image = context.getImageData(0, 0, canvas.width, canvas.height);
      var found = window.jsQR(image.data, image.width, image.height, {
        inversionAttempts: "dontInvert",
      });
      if (found && found.data) {
        var code = codeFrom(found.data);
        if (code) {
          stop();
          submit(code);
          return;
        }
        say(section.dataset.notACode);
      }
    }
    frame = window.requestAnimationFrame(scan);
  }

  function start() {
    say(section.dataset.looking);
    navigator.mediaDevices
      .getUserMedia({ video: { facingMode: "environment" }, audio: false })
      .then(function (camera) {
        stream = camera;
        video.srcObject = camera;
        video.hidden = false;
        startButton.hidden = true;
        stopButton.hidden = false;
        return video.play();
      })
      .then(function () {
        frame = window.requestAnimationFrame(scan);
      })
      .catch(function () {
        stop();
        say(section.dataset.denied);
      });
  }

  startButton.addEventListener("click", start);
  stopButton.addEventListener("click", function () {
    stop();
    say("");
  });
  window.addEventListener("pagehide", stop);
})();
