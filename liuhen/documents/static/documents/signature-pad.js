/* Handwritten signature pad (clause doc-signatures): pointer strokes (finger, stylus or mouse) on a
   <canvas data-signature-pad>; on submit the drawing goes into the form's hidden
   [data-signature-data] field as a PNG data URL. An empty pad sends nothing, so the server says
   what is missing. Loaded as a static file: the CSP allows no inline script. */
(function () {
  "use strict";

  function setup(form) {
    var canvas = form.querySelector("canvas[data-signature-pad]");
    var field = form.querySelector("[data-signature-data]");
    if (!canvas || !field) return;
    var hint = form.querySelector("[data-signature-hint]");
    var ctx = canvas.getContext("2d");
    var drawing = false;
    var inked = false;
    var last = null;

    function blank() {
      ctx.fillStyle = "#ffffff";
      ctx.fillRect(0, 0, canvas.width, canvas.height);
      ctx.strokeStyle = "#111111";
      ctx.lineWidth = 3;
      ctx.lineCap = "round";
      ctx.lineJoin = "round";
      inked = false;
      canvas.classList.remove("lh-signed");
      if (hint) hint.textContent = "尚未签名";
    }

    function point(ev) {
      var r = canvas.getBoundingClientRect();
      return {
        x: (ev.clientX - r.left) * (canvas.width / r.width),
        y: (ev.clientY - r.top) * (canvas.height / r.height)
      };
    }

    canvas.addEventListener("pointerdown", function (ev) {
      ev.preventDefault();
      drawing = true;
      last = point(ev);
      if (canvas.setPointerCapture) canvas.setPointerCapture(ev.pointerId);
    });
    canvas.addEventListener("pointermove", function (ev) {
      if (!drawing) return;
      ev.preventDefault();
      var p = point(ev);
      ctx.beginPath();
      ctx.moveTo(last.x, last.y);
      ctx.lineTo(p.x, p.y);
      ctx.stroke();
      last = p;
      if (!inked) {
        inked = true;
        canvas.classList.add("lh-signed");
        if (hint) hint.textContent = "已手写签名";
      }
    });
    function stop() { drawing = false; last = null; }
    canvas.addEventListener("pointerup", stop);
    canvas.addEventListener("pointercancel", stop);
    canvas.addEventListener("pointerleave", stop);

    var clear = form.querySelector("[data-signature-clear]");
    if (clear) clear.addEventListener("click", function () { blank(); field.value = ""; });

    form.addEventListener("submit", function () {
      field.value = inked ? canvas.toDataURL("image/png") : "";
    });
    blank();
  }

  function init() {
    var forms = document.querySelectorAll("form[data-signature-form]");
    for (var i = 0; i < forms.length; i++) setup(forms[i]);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
