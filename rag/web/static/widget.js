/*
 * 政府报告问答助手 - intranet widget.
 * Usage: <script src="http://HOST:PORT/widget.js"></script> (optional: data-title="…", data-position="left",
 * data-key="…" when the server sets RAG_API_KEYS: the chat page exchanges it for a cookie on first load)
 * Adds a chat button; the panel is an iframe of this server's /embed/ page. Every URL is built from
 * this script's own src, so the server may sit behind a reverse-proxy path prefix. Nothing else is loaded.
 */
(function () {
  "use strict";
  if (window.__ragWidget) return;
  var script = document.currentScript;
  if (!script || !script.src) return;
  var base = script.src.replace(/[?#].*$/, "").replace(/[^/]*$/, "");
  var title = script.getAttribute("data-title") || "政府报告问答助手";
  var side = script.getAttribute("data-position") === "left" ? "left" : "right";
  var key = script.getAttribute("data-key");

  var css = [
    ":host { all: initial; }",
    ".btn { position: fixed; bottom: 24px; " + side + ": 24px; z-index: 2147483646; display: flex;",
    "  align-items: center; gap: 8px; padding: 12px 18px; border: 0; border-radius: 999px; cursor: pointer;",
    "  background: #b91c1c; color: #fff; font: 600 15px/1.2 -apple-system, 'PingFang SC', 'Microsoft YaHei',",
    "  'Noto Sans CJK SC', sans-serif; box-shadow: 0 6px 20px rgba(0,0,0,.25); }",
    ".btn:hover { background: #991b1b; } .btn:focus-visible { outline: 3px solid #fca5a5; outline-offset: 2px; }",
    ".btn svg { width: 20px; height: 20px; fill: currentColor; }",
    ".panel { position: fixed; bottom: 88px; " + side + ": 24px; z-index: 2147483647; width: 440px;",
    "  height: min(680px, calc(100vh - 120px)); display: none; flex-direction: column; overflow: hidden;",
    "  background: #fff; border-radius: 12px; box-shadow: 0 12px 40px rgba(0,0,0,.3); }",
    ".panel.open { display: flex; }",
    ".head { display: flex; align-items: center; justify-content: space-between; padding: 10px 14px;",
    "  background: #b91c1c; color: #fff; font: 600 15px/1.4 -apple-system, 'PingFang SC', 'Microsoft YaHei',",
    "  'Noto Sans CJK SC', sans-serif; }",
    ".close { border: 0; background: transparent; color: #fff; font-size: 22px; line-height: 1; cursor: pointer;",
    "  padding: 0 4px; }",
    "iframe { flex: 1; width: 100%; border: 0; background: #fff; }",
    ".notice { margin: 24px 20px; padding: 12px 14px; border-left: 4px solid #d97706; background: #fffbeb;",
    "  color: #92400e; font: 15px/1.7 -apple-system, 'PingFang SC', 'Microsoft YaHei', 'Noto Sans CJK SC', sans-serif; }",
    "@media (max-width: 520px) { .panel { inset: 0; width: auto; height: auto; border-radius: 0; } }"
  ].join("\n");

  var host = document.createElement("div");
  host.id = "rag-widget";
  var root = host.attachShadow({ mode: "open" });
  var style = document.createElement("style");
  style.textContent = css;

  var button = document.createElement("button");
  button.className = "btn";
  button.type = "button";
  button.setAttribute("aria-haspopup", "dialog");
  button.setAttribute("aria-expanded", "false");
  button.innerHTML = '<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 ' +
    '2H9l-5 4v-4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2zm3 5v2h10V9H7zm0 4v2h6v-2H7z"/></svg>';
  var label = document.createElement("span");
  label.textContent = title;
  button.appendChild(label);

  var panel = document.createElement("div");
  panel.className = "panel";
  panel.setAttribute("role", "dialog");
  panel.setAttribute("aria-label", title);
  var head = document.createElement("div");
  head.className = "head";
  var name = document.createElement("span");
  name.textContent = title;
  var close = document.createElement("button");
  close.className = "close";
  close.type = "button";
  close.setAttribute("aria-label", "关闭");
  close.textContent = "×";
  head.appendChild(name);
  head.appendChild(close);
  panel.appendChild(head);

  var notice = document.createElement("div");
  notice.className = "notice";
  notice.setAttribute("role", "alert");
  var NOT_ALLOWED = "此页面（" + location.origin + "）未被允许嵌入问答助手。" +
    "请联系系统管理员，将本页面的地址加入允许列表。";
  var DOWN = "暂时无法连接问答服务，请稍后再试。";

  // Asked before the chat is framed: a page whose origin is not allowed gets a 403 it cannot read
  // (so the fetch fails) while the server is reachable (a no-cors request succeeds).
  function checkOrigin() {
    var url = base + "widget/check";
    return fetch(url, { mode: "cors", credentials: "omit", cache: "no-store" }).then(function (r) {
      return r.ok ? "ok" : r.status === 403 ? "origin" : "down";
    }, function () {
      return fetch(url, { mode: "no-cors", credentials: "omit", cache: "no-store" })
        .then(function () { return "origin"; }, function () { return "down"; });
    });
  }

  var frame = null;
  var checking = false;
  function showNotice(text) {
    notice.textContent = text;
    if (!notice.parentNode) panel.appendChild(notice);
  }
  function addFrame() {
    if (notice.parentNode) panel.removeChild(notice);
    frame = document.createElement("iframe");
    frame.title = title;
    frame.src = base + "embed/" + (key ? "?key=" + encodeURIComponent(key) : "");
    panel.appendChild(frame);
  }
  function setOpen(open) {
    if (open && !frame && !checking) {
      checking = true;
      checkOrigin().then(function (state) {
        checking = false;
        if (state === "ok") addFrame();
        else showNotice(state === "origin" ? NOT_ALLOWED : DOWN);
      });
    }
    panel.classList.toggle("open", open);
    button.setAttribute("aria-expanded", String(open));
  }
  button.addEventListener("click", function () { setOpen(!panel.classList.contains("open")); });
  close.addEventListener("click", function () { setOpen(false); button.focus(); });
  document.addEventListener("keydown", function (e) {
    if (e.key === "Escape" && panel.classList.contains("open")) setOpen(false);
  });

  root.appendChild(style);
  root.appendChild(panel);
  root.appendChild(button);
  function mount() { document.body.appendChild(host); }
  if (document.body) mount(); else document.addEventListener("DOMContentLoaded", mount);
  window.__ragWidget = { open: function () { setOpen(true); }, close: function () { setOpen(false); }, base: base };
})();
