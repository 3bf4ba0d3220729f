/*
 * Chat page behaviour that Gradio's message HTML cannot carry (it is sanitized): clicking [n] opens
 * and scrolls to that source; 复制 copies the answer with its sources as numbered footnotes;
 * 👍 / 👎 (then an optional comment) post to api/feedback. Everything is delegated from the document,
 * so it works for messages rendered at any time, on the full page and on /embed/.
 */
(function () {
  "use strict";
  if (window.__ragChat) return;
  window.__ragChat = true;

  function digits(s) { return (s || "").replace(/[^0-9]/g, ""); }
  function messageOf(el) {
    return el.closest("[data-testid='bot']") || el.closest(".message") || el.closest(".message-wrap") || document;
  }
  function apiUrl(path) {
    var embedded = /\/embed\/?$/.test(location.pathname);
    return new URL((embedded ? "../" : "") + path, location.href.replace(/[?#].*$/, "")).toString();
  }

  function openSource(cite) {
    var n = digits(cite.textContent);
    var sources = messageOf(cite).querySelectorAll(".rag-source");
    for (var i = 0; i < sources.length; i++) {
      var label = sources[i].querySelector(".rag-n");
      if (label && digits(label.textContent) === n) {
        sources[i].open = true;
        sources[i].scrollIntoView({ block: "center" });
        sources[i].classList.add("rag-flash");
        (function (el) { setTimeout(function () { el.classList.remove("rag-flash"); }, 1200); })(sources[i]);
        return;
      }
    }
  }

  function footnoted(message) {
    var answer = message.querySelector(".rag-answer, .rag-refusal");
    var out = answer ? answer.innerText.trim() : "";
    var notes = [];
    message.querySelectorAll(".rag-source").forEach(function (s) {
      var n = s.querySelector(".rag-n");
      if (!n) return;
      var parts = [".rag-title", ".rag-section", ".rag-page"].map(function (q) {
        var el = s.querySelector(q);
        return el ? el.textContent.trim() : "";
      }).filter(Boolean);
      notes.push(n.textContent.trim() + " " + parts.join("｜"));
    });
    if (notes.length) out += "\n\n来源：\n" + notes.join("\n");
    return out;
  }

  function copy(text) {
    if (navigator.clipboard && window.isSecureContext) return navigator.clipboard.writeText(text);
    var area = document.createElement("textarea");
    area.value = text;
    area.style.position = "fixed";
    area.style.opacity = "0";
    document.body.appendChild(area);
    area.select();
    try { document.execCommand("copy"); } finally { document.body.removeChild(area); }
    return Promise.resolve();
  }

  function flash(el, text) {
    var old = el.getAttribute("data-label") || el.textContent;
    el.setAttribute("data-label", old);
    el.textContent = text;
    setTimeout(function () { el.textContent = old; }, 1500);
  }

  function answerId(el) {
    var bar = el.closest(".rag-actions");
    var m = bar && /(?:^|\s)rag-id-([0-9a-zA-Z]+)/.exec(bar.className);
    return m ? m[1] : null;
  }

  function post(body) {
    return fetch(apiUrl("api/feedback"), {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body)
    }).then(function (r) { return r.json().then(function (d) { return { ok: r.ok, data: d }; }); });
  }

  function status(bar, text, bad) {
    var s = bar.querySelector(".rag-fb-status");
    if (!s) { s = document.createElement("span"); s.className = "rag-fb-status"; bar.appendChild(s); }
    s.textContent = text;
    s.classList.toggle("rag-fb-bad", !!bad);
  }

  function vote(button) {
    var bar = button.closest(".rag-actions");
    var id = answerId(button);
    if (!id) return;
    var value = button.classList.contains("rag-up") ? "up" : "down";
    bar.querySelectorAll(".rag-vote").forEach(function (b) { b.classList.toggle("rag-voted", b === button); });
    post({ id: id, vote: value }).then(function (r) {
      status(bar, r.ok ? "感谢反馈！" : (r.data.error || "提交失败"), !r.ok);
      if (r.ok && !bar.querySelector(".rag-fb-comment")) {
        var box = document.createElement("span");
        box.className = "rag-fb-comment";
        var input = document.createElement("input");
        input.type = "text";
        input.maxLength = 2000;
        input.placeholder = value === "down" ? "哪里不对？（选填）" : "补充说明（选填）";
        var send = document.createElement("button");
        send.type = "button";
        send.textContent = "提交";
        send.addEventListener("click", function () {
          var voted = bar.querySelector(".rag-voted");
          post({ id: id, vote: voted && voted.classList.contains("rag-up") ? "up" : "down", comment: input.value })
            .then(function (r2) {
              status(bar, r2.ok ? "已收到您的意见，谢谢！" : (r2.data.error || "提交失败"), !r2.ok);
              if (r2.ok) box.remove();
            });
        });
        box.appendChild(input);
        box.appendChild(send);
        bar.appendChild(box);
      }
    }).catch(function () { status(bar, "提交失败，请稍后再试。", true); });
  }

  document.addEventListener("click", function (e) {
    var t = e.target;
    if (!t || !t.closest) return;
    var cite = t.closest(".rag-cite");
    if (cite) { e.preventDefault(); openSource(cite); return; }
    var c = t.closest(".rag-copy");
    if (c) {
      e.preventDefault();
      copy(footnoted(messageOf(c))).then(function () { flash(c, "已复制"); }, function () { flash(c, "复制失败"); });
      return;
    }
    var v = t.closest(".rag-vote");
    if (v) { e.preventDefault(); vote(v); }
  }, true);
})();
