/*
 * 本市12345政务服务便民热线 — citizen chat widget.
 *
 * A government site embeds it with one tag:
 *
 *   <script src="https://hotline.example/widget.js" defer></script>
 *
 * Optional attributes on that tag:
 *   data-title="…"        header title (default 本市12345政务服务便民热线)
 *   data-open="true"      start with the chat panel open
 *   data-container="#id"  render inline inside that element instead of as a
 *                         floating button and panel
 *
 * The widget connects to ws(s)://<host of this script>/ws/chat and speaks the
 * frame protocol in DESIGN.md ("Contracts"). It renders inside a Shadow DOM so
 * the host page's CSS cannot break it and its CSS cannot leak out; every text
 * from the network is set with textContent, never as HTML.
 *
 * Plain ES2017, no framework, no build step, no third-party requests.
 */
(function () {
  'use strict';

  if (window.__hl12345Widget) {
    return; // included twice: the first copy already runs
  }
  window.__hl12345Widget = true;

  // ---------------------------------------------------------------- config

  var script = document.currentScript || (function () {
    var all = document.getElementsByTagName('script');
    for (var i = all.length - 1; i >= 0; i--) {
      if (/\/widget\.js(\?|#|$)/.test(all[i].src)) {
        return all[i];
      }
    }
    return null;
  })();

  var scriptURL = new URL(script && script.src ? script.src : '/widget.js', location.href);
  var WS_URL = (scriptURL.protocol === 'https:' ? 'wss://' : 'ws://') + scriptURL.host + '/ws/chat';
  var TITLE = (script && script.getAttribute('data-title')) || '本市12345政务服务便民热线';
  var START_OPEN = !!script && script.getAttribute('data-open') === 'true';
  var CONTAINER_SEL = script && script.getAttribute('data-container');

  var MAX_TEXT = 2000;
  var TOPICS = ['社保卡补办', '公积金提取', '居住证办理', '转人工'];
  var KEY = {
    token: 'hl12345.token',
    seq: 'hl12345.seq',
    conversation: 'hl12345.conversation',
    outbox: 'hl12345.outbox',
    read: 'hl12345.read',
    large: 'hl12345.large'
  };

  // ---------------------------------------------------------------- storage

  // store wraps localStorage: it can be missing or throw (private mode,
  // sandboxed frames, full quota); the widget then keeps state for the page.
  var store = (function () {
    var mem = {};
    var ls = null;
    try {
      ls = window.localStorage;
      ls.setItem('hl12345.probe', '1');
      ls.removeItem('hl12345.probe');
    } catch (e) {
      ls = null;
    }
    return {
      get: function (k) {
        try {
          if (ls) { return ls.getItem(k); }
        } catch (e) { /* fall through */ }
        return Object.prototype.hasOwnProperty.call(mem, k) ? mem[k] : null;
      },
      set: function (k, v) {
        mem[k] = String(v);
        try {
          if (ls) { ls.setItem(k, String(v)); }
        } catch (e) { /* keep the in-memory copy */ }
      },
      del: function (k) {
        delete mem[k];
        try {
          if (ls) { ls.removeItem(k); }
        } catch (e) { /* ignore */ }
      }
    };
  })();

  function loadOutbox() {
    try {
      var v = JSON.parse(store.get(KEY.outbox) || '[]');
      if (Array.isArray(v)) {
        return v.filter(function (m) {
          return m && typeof m.id === 'string' && typeof m.text === 'string';
        }).map(function (m) {
          return { id: m.id, text: m.text };
        });
      }
    } catch (e) { /* corrupt: start empty */ }
    return [];
  }

  function newID() {
    var c = window.crypto;
    if (c && typeof c.randomUUID === 'function') {
      try { return c.randomUUID(); } catch (e) { /* insecure context */ }
    }
    var b = new Uint8Array(16);
    if (c && c.getRandomValues) {
      c.getRandomValues(b);
    } else {
      for (var i = 0; i < b.length; i++) { b[i] = Math.floor(Math.random() * 256); }
    }
    return Array.prototype.map.call(b, function (x) {
      return ('0' + x.toString(16)).slice(-2);
    }).join('');
  }

  // ---------------------------------------------------------------- styles

  var CSS = [
    ':host{all:initial;display:block}',
    ':host([hidden]){display:none}',
    '*,*::before,*::after{box-sizing:border-box}',
    '.hl12345-root{font-size:17px;line-height:1.6;color:#1a1a1a;',
    '  font-family:"PingFang SC","Hiragino Sans GB","Microsoft YaHei","Noto Sans CJK SC","Source Han Sans SC","WenQuanYi Micro Hei",sans-serif;',
    '  -webkit-text-size-adjust:100%;text-size-adjust:100%}',
    '.hl12345-root.hl12345-large{font-size:21px;line-height:1.65;color:#000}',
    'button,textarea{font:inherit;color:inherit}',
    'button{cursor:pointer}',
    'button:focus-visible{outline:3px solid #f5a623;outline-offset:2px}',
    '.hl12345-sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}',

    /* launcher (floating mode, panel closed) */
    '.hl12345-launcher{position:fixed;right:20px;bottom:20px;z-index:2147483000;display:flex;align-items:center;gap:.4em;',
    '  min-height:56px;padding:0 1.2em;border:2px solid #fff;border-radius:28px;background:#b8141f;color:#fff;',
    '  font-size:1.1em;font-weight:600;box-shadow:0 4px 16px rgba(0,0,0,.3)}',
    '.hl12345-launcher:hover{background:#9a0f19}',
    '.hl12345-badge{min-width:1.5em;padding:0 .35em;border-radius:1em;background:#fff;color:#b8141f;font-size:.8em;text-align:center}',

    /* panel */
    '.hl12345-panel{display:flex;flex-direction:column;background:#fff;overflow:hidden}',
    '.hl12345-floating .hl12345-panel{position:fixed;right:20px;bottom:20px;z-index:2147483001;width:410px;',
    '  height:min(680px,calc(100vh - 40px));height:min(680px,calc(100dvh - 40px));',
    '  border:1px solid #8a8a8a;border-radius:10px;box-shadow:0 8px 32px rgba(0,0,0,.28)}',
    '.hl12345-large.hl12345-floating .hl12345-panel{width:480px;height:min(760px,calc(100vh - 40px));height:min(760px,calc(100dvh - 40px))}',
    '.hl12345-inline .hl12345-panel{position:relative;width:100%;height:100%;min-height:480px;border:1px solid #8a8a8a;border-radius:6px}',
    '.hl12345-panel[hidden],.hl12345-launcher[hidden]{display:none}',

    /* header */
    '.hl12345-head{display:flex;align-items:center;gap:.5em;padding:.4em .5em .4em .9em;background:#b8141f;color:#fff;flex:none}',
    '.hl12345-title{flex:1;margin:0;font-size:1.05em;font-weight:700;line-height:1.3}',
    '.hl12345-hbtn{min-width:44px;min-height:44px;padding:0 .6em;border:2px solid rgba(255,255,255,.85);border-radius:6px;background:transparent;color:#fff;font-weight:600}',
    '.hl12345-hbtn:hover{background:rgba(255,255,255,.15)}',
    '.hl12345-hbtn[aria-pressed="true"]{background:#fff;color:#b8141f}',

    /* status lines */
    '.hl12345-status{flex:none;margin:0;padding:.2em .9em;font-size:.82em;background:#f2f2f2;color:#333;border-bottom:1px solid #d0d0d0}',
    '.hl12345-status[data-state="open"]{color:#1d6b2c}',
    '.hl12345-status[data-state="down"]{background:#fff4d6;color:#6b4a00}',
    '.hl12345-queue{flex:none;display:flex;align-items:center;gap:.6em;margin:0;padding:.35em .9em;background:#e8f0fb;color:#0b3d7a;font-weight:600;border-bottom:1px solid #b9cde8}',
    '.hl12345-queue[hidden],.hl12345-typing[hidden]{display:none}',
    '.hl12345-queue-text{flex:1}',
    '.hl12345-queue-cancel{flex:none;font:inherit;font-size:.85em;padding:.25em .7em;border:1px solid #0b3d7a;border-radius:4px;background:#fff;color:#0b3d7a;cursor:pointer}',
    '.hl12345-typing{flex:none;margin:0;padding:.15em .9em;font-size:.82em;color:#555;background:#fafafa}',

    /* transcript */
    '.hl12345-list{flex:1;min-height:0;overflow-y:auto;overscroll-behavior:contain;margin:0;padding:.8em .8em 1em;list-style:none;background:#fafafa}',
    '.hl12345-intro{margin:0 0 .6em;padding:.45em .8em;border-left:4px solid #b8141f;background:#fff;color:#222;font-size:.88em}',
    '.hl12345-intro strong{color:#8e0f18}',
    '.hl12345-msg{display:flex;flex-direction:column;margin:.55em 0}',
    '.hl12345-bubble{max-width:84%;padding:.5em .8em;border-radius:10px;white-space:pre-wrap;overflow-wrap:anywhere;word-break:break-word}',
    '.hl12345-from{font-size:.78em;color:#4a4a4a;margin:0 .2em .15em}',
    '.hl12345-msg[data-from="citizen"]{align-items:flex-end}',
    '.hl12345-msg[data-from="citizen"] .hl12345-bubble{background:#0b4f9c;color:#fff;border-bottom-right-radius:3px}',
    '.hl12345-msg[data-from="bot"],.hl12345-msg[data-from="agent"]{align-items:flex-start}',
    '.hl12345-msg[data-from="bot"] .hl12345-bubble,.hl12345-msg[data-from="agent"] .hl12345-bubble{background:#fff;color:#111;border:1px solid #c4c4c4;border-bottom-left-radius:3px}',
    '.hl12345-msg[data-from="agent"] .hl12345-bubble{border-color:#0b4f9c}',
    '.hl12345-msg[data-from="system"],.hl12345-msg.hl12345-note{align-items:center}',
    '.hl12345-msg[data-from="system"] .hl12345-bubble,.hl12345-msg.hl12345-note .hl12345-bubble{max-width:92%;background:transparent;color:#555;font-size:.86em;text-align:center;padding:.2em .6em}',
    '.hl12345-large .hl12345-msg[data-from="system"] .hl12345-bubble,.hl12345-large .hl12345-msg.hl12345-note .hl12345-bubble{color:#333}',
    '.hl12345-msg.hl12345-pending .hl12345-bubble{background:#e4e9ef;color:#333;border:2px dashed #8696a8}',
    '.hl12345-state{font-size:.78em;color:#4a4a4a;margin:.15em .2em 0}',
    '.hl12345-msg.hl12345-failed .hl12345-bubble{background:#fbe9e9;color:#1a1a1a;border:2px solid #b8141f}',
    '.hl12345-retry{margin-top:.25em;min-height:44px;padding:0 .8em;border:2px solid #b8141f;border-radius:6px;background:#fff;color:#b8141f}',
    '.hl12345-large .hl12345-bubble{border-width:2px}',

    /* option buttons under a bot message */
    '.hl12345-options{display:flex;flex-wrap:wrap;gap:.45em;margin-top:.5em;max-width:92%}',
    '.hl12345-option{min-height:44px;padding:.3em .9em;border:2px solid #0b4f9c;border-radius:22px;background:#fff;color:#0b4f9c;font-weight:600;text-align:left}',
    '.hl12345-option:hover:not(:disabled){background:#e8f0fb}',
    '.hl12345-option:disabled{border-color:#b5b5b5;color:#6b6b6b;cursor:default}',

    /* composer */
    '.hl12345-foot{flex:none;border-top:1px solid #c4c4c4;background:#fff;padding:.5em .6em calc(.5em + env(safe-area-inset-bottom,0px))}',
    '.hl12345-chips{display:flex;flex-wrap:wrap;gap:.4em;margin:0 0 .5em}',
    '.hl12345-chips[hidden]{display:none}',
    '.hl12345-chip{min-height:44px;padding:.2em .85em;border:2px solid #b8141f;border-radius:22px;background:#fff;color:#b8141f;font-weight:600}',
    '.hl12345-chip:hover{background:#fdecee}',
    '.hl12345-form{display:flex;gap:.5em;align-items:flex-end;margin:0}',
    '.hl12345-input{flex:1;min-width:0;min-height:48px;max-height:8em;resize:none;padding:.5em .65em;border:2px solid #6b6b6b;border-radius:8px;background:#fff;line-height:1.45}',
    '.hl12345-input::placeholder{color:#6b6b6b}',
    '.hl12345-input:focus{outline:none;border-color:#0b4f9c;box-shadow:0 0 0 3px rgba(245,166,35,.55)}',
    '.hl12345-send{flex:none;min-width:64px;min-height:48px;padding:0 1em;border:0;border-radius:8px;background:#0b4f9c;color:#fff;font-weight:700}',
    '.hl12345-send:hover{background:#083c77}',
    '.hl12345-count{margin:.25em 0 0;font-size:.8em;color:#6b4a00;text-align:right}',
    '.hl12345-count[hidden]{display:none}',

    /* phones: the open panel takes the whole screen */
    '@media (max-width:520px){',
    '  .hl12345-floating .hl12345-panel,.hl12345-large.hl12345-floating .hl12345-panel{right:0;bottom:auto;top:0;left:0;width:100%;height:100vh;height:100dvh;border:0;border-radius:0;box-shadow:none}',
    '  .hl12345-launcher{right:12px;bottom:12px}',
    '  .hl12345-bubble{max-width:90%}',
    '  .hl12345-input{min-height:calc(2.9em + 1em + 4px)}',
    '}',
    '@media (forced-colors:active){.hl12345-bubble,.hl12345-option,.hl12345-chip,.hl12345-send,.hl12345-hbtn{border:1px solid CanvasText}}'
  ].join('\n');

  // ---------------------------------------------------------------- DOM

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text != null) { e.textContent = text; }
    return e;
  }

  function applyStyles(root) {
    // Constructed stylesheets are not subject to the host page's CSP
    // style-src, so the widget also styles itself on strict pages.
    try {
      if (root.adoptedStyleSheets !== undefined && typeof CSSStyleSheet === 'function') {
        var sheet = new CSSStyleSheet();
        sheet.replaceSync(CSS);
        root.adoptedStyleSheets = root.adoptedStyleSheets.concat([sheet]);
        return;
      }
    } catch (e) { /* fall back to a <style> element */ }
    var style = document.createElement('style');
    style.textContent = CSS;
    root.appendChild(style);
  }

  var ui = {};
  var inline = false;

  function build() {
    var container = null;
    if (CONTAINER_SEL) {
      try { container = document.querySelector(CONTAINER_SEL); } catch (e) { container = null; }
    }
    inline = !!container;

    var host = document.createElement('hl12345-chat');
    host.className = 'hl12345-host';
    if (inline) {
      host.style.height = '100%';
    }
    var root = host.attachShadow ? host.attachShadow({ mode: 'open' }) : host;
    applyStyles(root);

    var wrap = el('div', 'hl12345-root ' + (inline ? 'hl12345-inline' : 'hl12345-floating'));
    wrap.setAttribute('lang', 'zh-CN');
    if (inline) { wrap.style.height = '100%'; }
    root.appendChild(wrap);

    // Launcher: the floating button that opens the panel.
    var launcher = el('button', 'hl12345-launcher');
    launcher.type = 'button';
    launcher.setAttribute('aria-label', '打开' + TITLE + '在线咨询');
    launcher.setAttribute('aria-expanded', 'false');
    launcher.appendChild(el('span', null, '12345 在线咨询'));
    var badge = el('span', 'hl12345-badge');
    badge.hidden = true;
    badge.setAttribute('aria-hidden', 'true');
    launcher.appendChild(badge);
    if (inline) { launcher.hidden = true; }

    var panel = el('section', 'hl12345-panel');
    panel.id = 'hl12345-panel';
    panel.setAttribute('role', 'region');
    panel.setAttribute('aria-label', TITLE + '在线咨询');
    launcher.setAttribute('aria-controls', panel.id);

    var head = el('div', 'hl12345-head');
    var title = el('h2', 'hl12345-title', TITLE);
    var largeBtn = el('button', 'hl12345-hbtn hl12345-large-toggle', '大字');
    largeBtn.type = 'button';
    largeBtn.setAttribute('aria-pressed', 'false');
    largeBtn.setAttribute('aria-label', '大字模式');
    largeBtn.title = '放大文字';
    head.appendChild(title);
    head.appendChild(largeBtn);
    var closeBtn = null;
    if (!inline) {
      closeBtn = el('button', 'hl12345-hbtn hl12345-close', '收起');
      closeBtn.type = 'button';
      closeBtn.setAttribute('aria-label', '收起在线咨询窗口');
      head.appendChild(closeBtn);
    }

    var status = el('p', 'hl12345-status', '连接中…');
    status.setAttribute('role', 'status');
    status.setAttribute('data-state', 'connecting');

    var queue = el('div', 'hl12345-queue');
    queue.hidden = true;
    queue.setAttribute('role', 'status');
    var queueText = el('span', 'hl12345-queue-text');
    var queueCancel = el('button', 'hl12345-queue-cancel', '取消排队');
    queueCancel.type = 'button';
    queue.appendChild(queueText);
    queue.appendChild(queueCancel);

    // "客服正在输入…" while an agent types.
    var typing = el('p', 'hl12345-typing', '客服正在输入…');
    typing.hidden = true;

    var list = el('ol', 'hl12345-list');
    list.setAttribute('aria-live', 'polite');
    list.setAttribute('aria-relevant', 'additions');
    list.setAttribute('aria-label', '对话记录');
    list.setAttribute('tabindex', '0');

    // Shown even when the gateway cannot be reached: emergencies must not
    // wait for a chat.
    var intro = el('li', 'hl12345-intro');
    intro.appendChild(el('strong', null, '紧急情况请直接拨打：'));
    intro.appendChild(document.createTextNode('110 治安、119 火警、120 急救、122 交通事故。'));
    list.appendChild(intro);

    var foot = el('div', 'hl12345-foot');
    var chips = el('div', 'hl12345-chips');
    chips.setAttribute('role', 'group');
    chips.setAttribute('aria-label', '常见问题');
    TOPICS.forEach(function (t) {
      var c = el('button', 'hl12345-chip', t);
      c.type = 'button';
      c.setAttribute('aria-label', '咨询：' + t);
      c.addEventListener('click', function () {
        if (send(t)) { focusAfterChoice(); }
      });
      chips.appendChild(c);
    });

    var form = el('form', 'hl12345-form');
    form.setAttribute('novalidate', '');
    var label = el('label', 'hl12345-sr', '请输入您的问题');
    label.htmlFor = 'hl12345-input';
    var input = el('textarea', 'hl12345-input');
    input.id = 'hl12345-input';
    input.rows = 1;
    input.maxLength = MAX_TEXT;
    input.placeholder = '请输入您的问题，例如：社保卡丢了怎么办';
    input.setAttribute('enterkeyhint', 'send');
    input.setAttribute('autocomplete', 'off');
    var sendBtn = el('button', 'hl12345-send', '发送');
    sendBtn.type = 'submit';
    sendBtn.setAttribute('aria-label', '发送消息');
    form.appendChild(label);
    form.appendChild(input);
    form.appendChild(sendBtn);
    var count = el('p', 'hl12345-count');
    count.hidden = true;
    count.setAttribute('aria-live', 'polite');

    foot.appendChild(chips);
    foot.appendChild(form);
    foot.appendChild(count);

    panel.appendChild(head);
    panel.appendChild(status);
    panel.appendChild(queue);
    panel.appendChild(list);
    panel.appendChild(typing);
    panel.appendChild(foot);
    wrap.appendChild(launcher);
    wrap.appendChild(panel);

    ui = {
      host: host, wrap: wrap, launcher: launcher, badge: badge, panel: panel,
      largeBtn: largeBtn, closeBtn: closeBtn, status: status, queue: queue,
      queueText: queueText, queueCancel: queueCancel, typing: typing,
      list: list, chips: chips, form: form, input: input, sendBtn: sendBtn, count: count
    };

    form.addEventListener('submit', function (e) {
      e.preventDefault();
      if (send(input.value)) {
        input.value = '';
        autosize();
      }
      input.focus();
    });
    input.addEventListener('keydown', function (e) {
      // Enter sends, Shift+Enter breaks the line; Enter that confirms an IME
      // candidate (拼音 input) must not send.
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
        e.preventDefault();
        if (typeof form.requestSubmit === 'function') {
          form.requestSubmit();
        } else {
          form.dispatchEvent(new Event('submit', { cancelable: true }));
        }
      }
    });
    input.addEventListener('input', function () {
      autosize();
      typed();
      var n = input.value.length;
      count.hidden = n < MAX_TEXT - 200;
      count.textContent = n + ' / ' + MAX_TEXT + ' 字';
    });
    largeBtn.addEventListener('click', function () {
      setLarge(!wrap.classList.contains('hl12345-large'));
    });
    launcher.addEventListener('click', function () { setOpen(true, true); });
    queueCancel.addEventListener('click', function () { send('取消排队'); });
    if (closeBtn) {
      closeBtn.addEventListener('click', function () { setOpen(false, true); });
      panel.addEventListener('keydown', function (e) {
        if (e.key === 'Escape' && !e.isComposing) { setOpen(false, true); }
      });
    }

    if (inline) {
      container.appendChild(host);
    } else {
      document.body.appendChild(host);
    }
  }

  // focusAfterChoice moves focus off a button that a choice just disabled or
  // hid: to the input where typing is next, except on touch screens, where
  // that would pop up the keyboard over the answer; there to the transcript.
  function focusAfterChoice() {
    var fine = !!window.matchMedia && window.matchMedia('(pointer: fine)').matches;
    (fine ? ui.input : ui.list).focus({ preventScroll: true });
  }

  // autosize fits the input to its text (or its placeholder) up to ~8 lines.
  function autosize() {
    var i = ui.input;
    if (ui.panel.hidden) { return; } // nothing to measure
    i.style.height = 'auto';
    i.style.height = Math.min(i.scrollHeight + 4, 240) + 'px';
  }

  function setLarge(on) {
    ui.wrap.classList.toggle('hl12345-large', on);
    ui.largeBtn.setAttribute('aria-pressed', on ? 'true' : 'false');
    ui.largeBtn.title = on ? '恢复标准文字' : '放大文字';
    if (on) { store.set(KEY.large, '1'); } else { store.del(KEY.large); }
    autosize();
    scrollToEnd(true);
  }

  var isOpen = false;

  // setOpen shows or hides the panel; focus moves only when the citizen
  // asked for it (or the page asked for an open widget), never on its own.
  function setOpen(open, moveFocus) {
    if (inline) { open = true; }
    isOpen = open;
    ui.panel.hidden = !open;
    ui.launcher.hidden = inline || open;
    ui.launcher.setAttribute('aria-expanded', open ? 'true' : 'false');
    if (open) {
      markRead();
      fitViewport();
      autosize();
      scrollToEnd(true);
      if (moveFocus) { ui.input.focus({ preventScroll: true }); }
    } else if (moveFocus) {
      ui.launcher.focus();
    }
  }

  // Unread counts bot, agent and system messages that arrived while the panel
  // was closed; readSeq survives reloads so a replay is not counted again.
  var unread = 0;
  var readSeq = Number(store.get(KEY.read)) || 0;

  function markRead() {
    unread = 0;
    if (lastSeq > readSeq) {
      readSeq = lastSeq;
      store.set(KEY.read, String(readSeq));
    }
    updateBadge();
  }

  function updateBadge() {
    ui.badge.hidden = unread === 0;
    ui.badge.textContent = unread > 99 ? '99+' : String(unread);
    ui.launcher.setAttribute('aria-label', '打开' + TITLE + '在线咨询' + (unread ? '，' + unread + '条新消息' : ''));
  }

  // fitViewport keeps the input above the on-screen keyboard on phones whose
  // browsers shrink only the visual viewport (iOS Safari ignores dvh there).
  function fitViewport() {
    var vv = window.visualViewport;
    if (!vv || inline) { return; }
    var full = window.matchMedia && window.matchMedia('(max-width:520px)').matches;
    if (full && isOpen) {
      ui.panel.style.height = vv.height + 'px';
      ui.panel.style.top = vv.offsetTop + 'px';
    } else {
      ui.panel.style.height = '';
      ui.panel.style.top = '';
    }
  }

  function nearEnd() {
    var l = ui.list;
    return l.scrollHeight - l.scrollTop - l.clientHeight < 80;
  }

  function scrollToEnd(force) {
    if (force || nearEnd()) {
      ui.list.scrollTop = ui.list.scrollHeight;
    }
  }

  // ---------------------------------------------------------------- transcript

  var lastSeq = 0; // highest seq drawn on this page; a fresh page draws from 0
  var conversation = store.get(KEY.conversation) || '';
  var outbox = loadOutbox(); // unacked messages: [{id, text}]
  var agentActive = false; // an agent holds the chat: typing is announced
  var pending = []; // bubbles of messages not yet seen in the transcript: [{id, text, node, acked}]

  var FROM_LABEL = { bot: '12345智能客服', agent: '人工客服', system: '' };

  function saveOutbox() {
    if (outbox.length) {
      store.set(KEY.outbox, JSON.stringify(outbox));
    } else {
      store.del(KEY.outbox);
    }
  }

  // insert puts a transcript entry before the pending bubbles, which always
  // stay at the end until the server has stored them.
  function insert(node) {
    var stick = nearEnd();
    var first = null;
    for (var i = 0; i < pending.length; i++) {
      if (pending[i].node && pending[i].node.parentNode === ui.list) { first = pending[i].node; break; }
    }
    ui.list.insertBefore(node, first);
    scrollToEnd(stick);
  }

  function normalize(s) {
    return String(s).replace(/\s+/g, ' ').trim();
  }

  function renderMessage(f) {
    var from = f.from === 'citizen' || f.from === 'agent' || f.from === 'system' ? f.from : 'bot';
    var li = el('li', 'hl12345-msg');
    li.setAttribute('data-from', from);
    li.setAttribute('data-seq', String(f.seq));
    if (FROM_LABEL[from]) {
      li.appendChild(el('span', 'hl12345-from', FROM_LABEL[from]));
    } else if (from === 'citizen') {
      li.appendChild(el('span', 'hl12345-sr', '我说：'));
    }
    li.appendChild(el('div', 'hl12345-bubble', typeof f.text === 'string' ? f.text : ''));
    if (Array.isArray(f.options) && f.options.length && from !== 'citizen') {
      var opts = el('div', 'hl12345-options');
      opts.setAttribute('role', 'group');
      opts.setAttribute('aria-label', '您可以选择');
      f.options.forEach(function (o) {
        if (typeof o !== 'string' || !o) { return; }
        var b = el('button', 'hl12345-option', o);
        b.type = 'button';
        b.addEventListener('click', function () {
          if (!b.disabled && send(o)) { focusAfterChoice(); }
        });
        opts.appendChild(b);
      });
      li.appendChild(opts);
    }
    return li;
  }

  // retireOptions disables the option buttons of every message already drawn:
  // once the citizen has said something new, the old choices are history.
  function retireOptions() {
    var bs = ui.list.querySelectorAll('.hl12345-option');
    for (var i = 0; i < bs.length; i++) { bs[i].disabled = true; }
  }

  function onMessage(f) {
    var seq = Number(f.seq);
    if (!isFinite(seq) || seq <= lastSeq) {
      return; // already drawn: never show anything twice
    }
    lastSeq = seq;
    store.set(KEY.seq, String(seq));

    if (f.from === 'citizen') {
      retireOptions();
      ui.chips.hidden = true;
      // The transcript echo of a message sent from this page replaces its
      // pending bubble; the first pending one with the same text is it.
      var t = normalize(f.text);
      for (var i = 0; i < pending.length; i++) {
        if (!pending[i].failed && normalize(pending[i].text) === t) {
          if (pending[i].node.parentNode) { pending[i].node.parentNode.removeChild(pending[i].node); }
          pending.splice(i, 1);
          break;
        }
      }
    } else if (f.from === 'agent') {
      ui.queue.hidden = true;
      ui.typing.hidden = true;
      agentActive = true;
    } else if (f.from === 'bot') {
      agentActive = false; // the bot speaks again only when no agent holds the chat
    }
    if (Array.isArray(f.options) && f.options.length && f.from !== 'citizen') {
      // The server offers its own choices: one row of buttons is enough.
      ui.chips.hidden = true;
    }
    insert(renderMessage(f));
    if (isOpen) {
      markRead();
    } else if (f.from !== 'citizen' && seq > readSeq) {
      unread++;
      updateBadge();
    }
  }

  // note shows a line that is not part of the transcript (errors, notices).
  function note(text) {
    var tail = ui.list.lastElementChild;
    while (tail && tail.hasAttribute('data-pending')) { tail = tail.previousElementSibling; }
    if (tail && tail.classList.contains('hl12345-note') && tail.textContent === text) {
      return; // the same notice again right away: once is enough
    }
    var li = el('li', 'hl12345-msg hl12345-note');
    li.setAttribute('data-from', 'notice');
    li.appendChild(el('div', 'hl12345-bubble', text));
    insert(li);
  }

  function pendingBubble(m) {
    var li = el('li', 'hl12345-msg hl12345-pending');
    li.setAttribute('data-from', 'citizen');
    li.setAttribute('data-pending', m.id);
    li.appendChild(el('span', 'hl12345-sr', '我说：'));
    li.appendChild(el('div', 'hl12345-bubble', m.text));
    li.appendChild(el('span', 'hl12345-state', '发送中'));
    return li;
  }

  function addPending(m) {
    var p = { id: m.id, text: m.text, node: pendingBubble(m), acked: false, failed: false };
    pending.push(p);
    ui.list.appendChild(p.node);
    scrollToEnd(true);
    return p;
  }

  function clearTranscript() {
    var nodes = ui.list.querySelectorAll('.hl12345-msg:not(.hl12345-pending)');
    for (var i = 0; i < nodes.length; i++) { nodes[i].parentNode.removeChild(nodes[i]); }
    lastSeq = 0;
    store.set(KEY.seq, '0');
    readSeq = 0;
    store.set(KEY.read, '0');
    unread = 0;
    updateBadge();
    ui.queue.hidden = true;
  }

  // ---------------------------------------------------------------- sending

  // send queues a message; it goes out now if connected, else on reconnect.
  // It returns false when there is nothing to send.
  function send(text) {
    text = String(text == null ? '' : text).trim();
    if (!text) { return false; }
    if (text.length > MAX_TEXT) { text = text.slice(0, MAX_TEXT); }
    var m = { id: newID(), text: text };
    outbox.push(m);
    saveOutbox();
    addPending(m);
    retireOptions();
    ui.chips.hidden = true;
    if (ready) { transmit(m); }
    return true;
  }

  function transmit(m) {
    sendFrame({ type: 'message', id: m.id, text: m.text });
  }

  function onAck(f) {
    var id = String(f.id);
    resendDelay = 2000;
    outbox = outbox.filter(function (m) { return m.id !== id; });
    saveOutbox();
    for (var i = 0; i < pending.length; i++) {
      if (pending[i].id === id && !pending[i].acked) {
        // Stored: drop the "发送中" mark and wait for the transcript echo,
        // which replaces the bubble (it arrives soon, or on resume).
        pending[i].acked = true;
        pending[i].node.classList.remove('hl12345-pending');
        var s = pending[i].node.querySelector('.hl12345-state');
        if (s) { s.parentNode.removeChild(s); }
      }
    }
  }

  // onError shows the server's polite text and recovers: an error before the
  // session (hello failed) restarts the connection; a temporary one (rate
  // limit, storage busy) sends the unacked messages again a little later.
  function onError(f) {
    note(typeof f.message === 'string' && f.message ? f.message : '抱歉，系统暂时繁忙，请稍后再试。');
    // A temporary refusal keeps the message in the outbox: it is sent again
    // with the same id, which the server stores at most once. Only a
    // permanent refusal (too long, empty…) drops it.
    if (f.id && !f.temporary) { onRejected(String(f.id)); }
    if (!ready) {
      if (ws) { ws.close(); }
    } else if (f.temporary) {
      scheduleResend();
    }
  }

  var resendTimer = 0;
  var resendDelay = 2000;

  function scheduleResend() {
    if (resendTimer) { return; }
    var delay = Math.round(resendDelay * (0.75 + Math.random() * 0.5));
    resendDelay = Math.min(30000, resendDelay * 2);
    resendTimer = setTimeout(function () {
      resendTimer = 0;
      // Repeating an id is safe: the server stores it once and acks again.
      if (ready) { outbox.forEach(transmit); }
    }, delay);
  }

  // onRejected marks a message the server refused (an error frame naming its
  // id) as failed, with a button to send it again under a new id.
  function onRejected(id) {
    var had = outbox.length;
    outbox = outbox.filter(function (m) { return m.id !== id; });
    if (outbox.length === had) { return; }
    saveOutbox();
    pending.forEach(function (p) {
      if (p.id !== id || p.failed) { return; }
      p.failed = true;
      p.node.classList.remove('hl12345-pending');
      p.node.classList.add('hl12345-failed');
      var s = p.node.querySelector('.hl12345-state');
      if (s) { s.textContent = '未发送'; }
      var retry = el('button', 'hl12345-retry', '重新发送');
      retry.type = 'button';
      retry.setAttribute('aria-label', '重新发送这条消息');
      retry.addEventListener('click', function () {
        if (p.node.parentNode) { p.node.parentNode.removeChild(p.node); }
        pending = pending.filter(function (q) { return q !== p; });
        send(p.text);
      });
      p.node.appendChild(retry);
    });
  }

  // ---------------------------------------------------------------- connection

  var ws = null;
  var ready = false; // session frame received on the current socket
  var attempt = 0;
  var timer = 0;
  var connectTimer = 0;
  var everConnected = false;

  function setStatus(state, text) {
    ui.status.setAttribute('data-state', state);
    ui.status.textContent = text;
  }

  // onQueue shows where the citizen stands while waiting for an agent;
  // position 1 is the next to be served, 0 means no longer waiting.
  function onQueue(f) {
    var pos = Math.max(0, Math.floor(Number(f.position) || 0));
    if (pos === 0) {
      // Served (or cancelled, and then the bot speaks next).
      ui.queue.hidden = true;
      agentActive = true;
      return;
    }
    var text = pos > 1 ? '正在为您转接人工客服，您前面还有' + (pos - 1) + '位' : '您是下一位，即将为您接通人工客服';
    var wait = Math.floor(Number(f.wait) || 0);
    if (pos > 1 && wait > 0) {
      text += '，预计等待约' + Math.max(1, Math.round(wait / 60)) + '分钟';
    }
    ui.queueText.textContent = text + '，请稍候。';
    ui.queue.hidden = false;
  }

  // typed tells the agent, at most every 2 s, that the citizen is typing.
  var typingTimer = 0;
  var lastTyped = 0;
  function typed() {
    var now = Date.now();
    if (!agentActive || now - lastTyped < 2000) { return; }
    lastTyped = now;
    sendFrame({ type: 'typing' });
  }

  function sendFrame(obj) {
    if (!ws || ws.readyState !== 1) { return false; }
    try {
      ws.send(JSON.stringify(obj));
      return true;
    } catch (e) {
      return false;
    }
  }

  function connect() {
    clearTimeout(timer);
    timer = 0;
    if (ws) { return; }
    setStatus(everConnected ? 'down' : 'connecting', everConnected ? '网络已断开，正在重新连接…' : '连接中…');
    var sock;
    try {
      sock = new WebSocket(WS_URL);
    } catch (e) {
      scheduleReconnect();
      return;
    }
    ws = sock;
    ready = false;
    // A handshake that hangs (captive portal, dead proxy) is given up on.
    connectTimer = setTimeout(function () {
      if (ws === sock && sock.readyState === 0) { sock.close(); }
    }, 15000);

    sock.onopen = function () {
      if (ws !== sock) { return; }
      clearTimeout(connectTimer);
      var hello = { type: 'hello' };
      var token = store.get(KEY.token);
      if (token) {
        hello.token = token;
        hello.after = lastSeq;
      }
      sendFrame(hello);
    };
    sock.onmessage = function (ev) {
      if (ws !== sock) { return; }
      var f;
      try { f = JSON.parse(ev.data); } catch (e) { return; }
      if (!f || typeof f !== 'object') { return; }
      handle(f);
    };
    sock.onclose = function () {
      if (ws !== sock) { return; }
      clearTimeout(connectTimer);
      ws = null;
      ready = false;
      scheduleReconnect();
    };
    sock.onerror = function () { /* onclose follows */ };
  }

  function scheduleReconnect() {
    if (timer) { return; }
    setStatus('down', everConnected || attempt > 0 ? '网络已断开，正在重新连接…' : '连接中…');
    // 0.5s, 1s, 2s … capped at 10s; ±25% jitter spreads a crowd of widgets
    // reconnecting after a server restart.
    var base = Math.min(10000, 500 * Math.pow(2, attempt));
    var delay = Math.round(base * (0.75 + Math.random() * 0.5));
    attempt++;
    timer = setTimeout(connect, delay);
  }

  function handle(f) {
    switch (f.type) {
      case 'session':
        onSession(f);
        break;
      case 'message':
        onMessage(f);
        break;
      case 'ack':
        onAck(f);
        break;
      case 'queue':
        onQueue(f);
        break;
      case 'typing':
        if (f.from === 'agent') {
          ui.typing.hidden = false;
          clearTimeout(typingTimer);
          typingTimer = setTimeout(function () { ui.typing.hidden = true; }, 5000);
        }
        break;
      case 'error':
        onError(f);
        break;
      default:
        // Unknown frame types come from a newer server: ignore them.
    }
  }

  function onSession(f) {
    if (typeof f.token === 'string' && f.token) {
      store.set(KEY.token, f.token);
    }
    var conv = typeof f.conversation === 'string' ? f.conversation : '';
    if (conversation && conv && conv !== conversation) {
      // The server did not know our token and opened a new conversation:
      // what is on screen belongs to the old one.
      clearTranscript();
      ui.chips.hidden = false;
    }
    if (conv) {
      conversation = conv;
      store.set(KEY.conversation, conv);
    }
    ready = true;
    everConnected = true;
    attempt = 0;
    setStatus('open', '已连接');
    // Everything typed while away goes out now, with the ids it was given:
    // the server stores a repeated id once and acks it again.
    outbox.forEach(transmit);
  }

  function reconnectNow() {
    if (!ws) {
      attempt = 0;
      connect();
    }
  }

  // ---------------------------------------------------------------- start

  function start() {
    build();
    if (store.get(KEY.large) === '1') { setLarge(true); }
    // Messages left unsent by an earlier page are shown until stored.
    outbox.forEach(addPending);
    // A returning citizen sees the conversation again, not the starter topics.
    if (outbox.length || store.get(KEY.token)) { ui.chips.hidden = true; }
    // An open-on-load widget takes the focus only where that cannot pop up
    // an on-screen keyboard over the conversation.
    var finePointer = !!window.matchMedia && window.matchMedia('(pointer: fine)').matches;
    setOpen(inline || START_OPEN, START_OPEN && finePointer);
    if (window.visualViewport) {
      window.visualViewport.addEventListener('resize', fitViewport);
      window.visualViewport.addEventListener('scroll', fitViewport);
    }
    window.addEventListener('online', reconnectNow);
    window.addEventListener('resize', autosize);
    document.addEventListener('visibilitychange', function () {
      if (document.visibilityState === 'visible') { reconnectNow(); }
    });
    connect();
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
})();
