/*
 * 本市12345政务服务便民热线 — agent console (坐席工作台), served at /agent.
 *
 * Signs the agent in over /api/v1 (login, me, logout), then speaks the
 * /ws/agent frame protocol of docs/PROTOCOL.md over one WebSocket to
 * ws(s)://<this page's host>/ws/agent: presence, the queue, offers, several
 * chats at once with their full transcript (the bot's part included), the
 * NLU view and knowledge base suggestions of the citizen's latest message,
 * standard phrases, transfer and the wrap-up on close, and the citizens'
 * call-back requests (留言回访), and work orders (登记工单) prefilled from the
 * chat; supervisors also see every agent and live chat, may join, take over
 * or pick, and get the hot-issue banner (热点预警).
 *
 * Like the citizen widget it resumes without losing or repeating anything:
 * it keeps the highest seq shown per conversation and sends them in
 * hello.after, ignores frames with a seq already shown, and keeps every
 * reply in an outbox until its ack, sending it again with the same id after
 * a reconnect. The session frame lists the chats the agent still holds: a
 * chat shown before that is not among them ended while the console was
 * away and stays on screen read-only. The outbox, drafts and read marks
 * live in sessionStorage, per tab and per agent: a reload keeps them,
 * closing the tab or signing out forgets them.
 *
 * Every text from the network is set with textContent, never parsed as
 * HTML. Plain ES2017, no framework, no build step, no third-party requests.
 */
(function () {
  'use strict';

  var WS_URL = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/ws/agent';
  var MAX_TEXT = 2000;
  var TYPING_EVERY = 2000; // send our typing frame at most this often
  var TYPING_SHOW = 5000; // show the citizen's typing this long after their frame
  var ACTION_WAIT = 10000; // a close/transfer/已回电 with no answer in this time can be tried again

  // ---------------------------------------------------------------- words

  var PRIORITY = { emergency: '紧急', urgent: '加急', normal: '普通' };
  var PRIORITY_RANK = { emergency: 0, urgent: 1, normal: 2 };
  var CHANNEL = { web: '网站', wechat: '微信', app: 'App' };
  var FROM = { citizen: '市民', bot: '机器人', agent: '客服', system: '系统' };
  var ROLE = { agent: '坐席', supervisor: '值班长', admin: '管理员' };
  var STATUS = { online: '在线', away: '小休', offline: '离线', busy: '忙碌' };
  var INTENT = {
    consult: '咨询', complaint: '投诉', report: '举报', help: '求助', suggestion: '建议',
    praise: '表扬', greeting: '问候', thanks: '致谢', goodbye: '告别', human: '转人工',
    ticket_status: '工单查询', other: '其他'
  };
  var PHRASE_CATEGORY = {
    greeting: '开场', wait: '请稍候', transfer: '转接', apology: '致歉', comfort: '安抚', closing: '结束'
  };
  var URGENCY = { emergency: '紧急', urgent: '加急', none: '一般', normal: '一般' };
  var ENTITY = {
    phone: '电话', id_card: '身份证号', ticket_no: '工单号', plate: '车牌',
    date: '日期', time: '时间', address: '地址', name: '姓名'
  };
  var REASON = {
    human: '市民要求转人工', requested: '市民要求转人工', low_confidence: '智能客服无法解答',
    no_answer: '智能客服无法解答', emergency: '紧急情况', urgent: '紧急诉求', complaint: '投诉',
    transfer: '转接', transferred: '转接', timeout: '坐席超时未接', returned: '坐席断线，退回队列'
  };
  var END_REASON = {
    closed: '会话已结束。',
    transferred: '会话已转出，您不再处理此会话，记录仅供查看。',
    taken_over: '会话已由值班长接管，记录仅供查看。',
    citizen_left: '市民已离开会话，记录仅供查看。',
    lost: '连接中断期间，此会话已不在您名下（可能已超时退回队列），记录仅供查看。'
  };
  var GONE_REASON = {
    timeout: '接入请求已超时，已转给其他坐席。',
    cancelled: '市民已取消等待，接入请求已撤回。',
    taken: '该会话已由其他坐席接起。'
  };
  var ERROR_TEXT = {
    not_offered: '该接入请求已失效，无法接入。',
    not_yours: '该会话已不在您名下。',
    forbidden: '您没有进行此操作的权限。',
    bad_wrapup: '小结填写不完整，请检查后重新提交。',
    unknown_agent: '未找到该坐席，请核对用户名。',
    bad_status: '状态设置未成功，请重试。',
    rate_limited: '发送过于频繁，请稍后再试。',
    unavailable: '系统暂时繁忙，请稍后再试。',
    text_too_long: '回复内容超过2000字，请分条发送。',
    empty_text: '回复内容不能为空。',
    bad_transfer: '请选择要转接的坐席或部门。',
    unknown_callback: '该留言不存在或已处理。',
    bad_order: '工单信息有误，请检查后重新提交。'
  };
  // ORDER_TYPES are the appeal types a work order may have (诉求类型).
  var ORDER_TYPES = [
    { value: 'complaint', label: '投诉' }, { value: 'report', label: '举报' }, { value: 'help', label: '求助' },
    { value: 'suggestion', label: '建议' }, { value: 'consult', label: '咨询' }
  ];
  var ORDER_FIELDS = ['appeal_type', 'department', 'summary', 'address', 'when', 'name', 'phone', 'anonymous'];

  // ---------------------------------------------------------------- storage

  // store wraps sessionStorage, which can be missing or throw (private
  // mode, full quota); the console then keeps state for the page only.
  var store = (function () {
    var mem = {};
    var ss = null;
    try {
      ss = window.sessionStorage;
      ss.setItem('hl12345.probe', '1');
      ss.removeItem('hl12345.probe');
    } catch (e) {
      ss = null;
    }
    return {
      get: function (k) {
        try {
          if (ss) { return ss.getItem(k); }
        } catch (e) { /* fall through */ }
        return Object.prototype.hasOwnProperty.call(mem, k) ? mem[k] : null;
      },
      set: function (k, v) {
        mem[k] = String(v);
        try {
          if (ss) { ss.setItem(k, String(v)); }
        } catch (e) { /* keep the in-memory copy */ }
      },
      del: function (k) {
        delete mem[k];
        try {
          if (ss) { ss.removeItem(k); }
        } catch (e) { /* ignore */ }
      }
    };
  })();

  function userKey(k) {
    return 'hl12345.agent.' + (me ? me.username : '') + '.' + k;
  }

  function loadJSON(k, fallback) {
    try {
      var v = JSON.parse(store.get(userKey(k)) || 'null');
      if (v && typeof v === 'object') { return v; }
    } catch (e) { /* corrupt: start empty */ }
    return fallback;
  }

  function saveOutbox() {
    if (outbox.length) {
      store.set(userKey('outbox'), JSON.stringify(outbox));
    } else {
      store.del(userKey('outbox'));
    }
  }

  var saveSoonTimer = 0;

  // saveSoon writes read marks and drafts at most once a second: drafts
  // change on every keystroke.
  function saveSoon() {
    if (saveSoonTimer) { return; }
    saveSoonTimer = setTimeout(function () {
      saveSoonTimer = 0;
      if (!me) { return; }
      store.set(userKey('read'), JSON.stringify(readSeq));
      store.set(userKey('drafts'), JSON.stringify(drafts));
      store.set(userKey('orders'), JSON.stringify(orderDrafts));
    }, 1000);
  }

  function forgetUser() {
    ['outbox', 'read', 'drafts', 'orders'].forEach(function (k) { store.del(userKey(k)); });
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

  // ---------------------------------------------------------------- helpers

  function $(id) { return document.getElementById(id); }

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text != null) { e.textContent = text; }
    return e;
  }

  function str(v) { return typeof v === 'string' ? v : (v == null ? '' : String(v)); }

  function arr(v) { return Array.isArray(v) ? v : []; }

  function clear(node) {
    while (node.firstChild) { node.removeChild(node.firstChild); }
  }

  function prio(p) { return PRIORITY[p] ? p : 'normal'; }

  function channelName(c) { return CHANNEL[c] || (c ? str(c) : '在线'); }

  function deptName(code) {
    if (!code) { return ''; }
    return deptNames[code] || str(code);
  }

  function reasonText(r) { return REASON[r] || str(r); }

  function shortID(conv) { return '#' + str(conv).slice(-6).toUpperCase(); }

  function agentName(username) {
    if (me && username === me.username) { return me.name || username; }
    var a = arr(queueState.agents).find(function (x) { return x && x.username === username; });
    return a && a.name ? str(a.name) : str(username);
  }

  function parseTime(s) {
    var t = Date.parse(str(s));
    return isFinite(t) ? t : 0;
  }

  function two(n) { return (n < 10 ? '0' : '') + n; }

  // duration shows a waiting or talking time: 04:07, or 1小时05分.
  function duration(ms) {
    var s = Math.max(0, Math.floor(ms / 1000));
    if (s >= 3600) { return Math.floor(s / 3600) + '小时' + two(Math.floor(s % 3600 / 60)) + '分'; }
    return two(Math.floor(s / 60)) + ':' + two(s % 60);
  }

  function clock(t) {
    if (!t) { return ''; }
    var d = new Date(t);
    var now = new Date();
    var hm = two(d.getHours()) + ':' + two(d.getMinutes());
    if (d.toDateString() === now.toDateString()) { return hm; }
    return (d.getMonth() + 1) + '月' + d.getDate() + '日 ' + hm;
  }

  function percent(c) {
    var n = Number(c);
    return isFinite(n) && n > 0 && n <= 1 ? Math.round(n * 100) + '%' : '';
  }

  function badge(p) {
    var b = el('span', 'prio prio-' + prio(p), PRIORITY[prio(p)]);
    return b;
  }

  // since makes an element whose text the ticker keeps up to date.
  function since(t, prefix) {
    var s = el('span', 'since');
    s.setAttribute('data-since', String(t || 0));
    s.setAttribute('data-prefix', prefix || '');
    s.textContent = (prefix || '') + duration(Date.now() - t);
    return s;
  }

  function btn(text, cls, test) {
    var b = el('button', 'btn' + (cls ? ' ' + cls : ''), text);
    b.type = 'button';
    if (test) { b.setAttribute('data-test', test); }
    return b;
  }

  var toastBox = null;

  // toast shows a short notice that goes away by itself; warn ones stay
  // longer. Notices are not part of any transcript.
  function toast(text, warn) {
    if (!toastBox) { return; }
    var last = toastBox.lastElementChild;
    if (last && last.textContent === text) {
      toastBox.removeChild(last); // the same notice again: show it once, afresh
    }
    var t = el('p', 'toast' + (warn ? ' toast-warn' : ''), text);
    t.setAttribute('data-test', 'toast');
    toastBox.appendChild(t);
    while (toastBox.children.length > 4) { toastBox.removeChild(toastBox.firstChild); }
    setTimeout(function () {
      if (t.parentNode) { t.parentNode.removeChild(t); }
    }, warn ? 9000 : 5000);
  }

  var announcer = null;

  // announce tells screen readers about an offer at once.
  function announce(text) {
    if (!announcer) { return; }
    announcer.textContent = '';
    setTimeout(function () { announcer.textContent = text; }, 50);
  }

  // ---------------------------------------------------------------- sound

  // The offer alert is a short tone made with WebAudio: no file to load.
  // Browsers keep an AudioContext silent until the page has had a click or
  // key press; after a reload straight into the console the 开启提示音
  // button asks for one.
  var audio = null;

  function audioContext() {
    if (audio) { return audio; }
    var C = window.AudioContext || window.webkitAudioContext;
    if (!C) { return null; }
    try { audio = new C(); } catch (e) { audio = null; }
    if (audio && typeof audio.addEventListener === 'function') {
      audio.addEventListener('statechange', updateSoundButton);
    }
    return audio;
  }

  function unlockAudio() {
    var a = audioContext();
    if (a && a.state === 'suspended' && typeof a.resume === 'function') {
      a.resume().then(updateSoundButton, function () { /* still locked */ });
    }
  }

  function updateSoundButton() {
    ui.sound.hidden = !audio || audio.state !== 'suspended' || !me;
  }

  function beep(urgent) {
    var a = audioContext();
    if (!a) { return; }
    if (a.state === 'suspended') { unlockAudio(); }
    try {
      var t0 = a.currentTime + 0.03;
      var notes = urgent ? [988, 740, 988, 740] : [880, 660, 880];
      notes.forEach(function (f, i) {
        var o = a.createOscillator();
        var g = a.createGain();
        var t = t0 + i * 0.2;
        o.type = 'sine';
        o.frequency.value = f;
        g.gain.setValueAtTime(0.0001, t);
        g.gain.exponentialRampToValueAtTime(0.3, t + 0.02);
        g.gain.exponentialRampToValueAtTime(0.0001, t + 0.17);
        o.connect(g);
        g.connect(a.destination);
        o.start(t);
        o.stop(t + 0.19);
      });
    } catch (e) { /* no sound: the visual alert remains */ }
  }

  // ---------------------------------------------------------------- state

  var ui = {};
  var me = null; // profile: {username, name, role, skills, max_chats}
  var supervisor = false;
  var departments = []; // [{code, name}]
  var deptNames = {};
  var intents = [];
  var phrases = [];
  var queueState = { entries: [], agents: [], chats: [] };
  var offers = {}; // conversation → offer
  var chats = {}; // conversation → chat
  var order = []; // conversations in tab order
  var selected = '';
  var outbox = []; // unacked replies: [{id, conversation, text}]
  var readSeq = {}; // conversation → highest seq seen on screen
  var drafts = {}; // conversation → unsent text in the reply box
  var wantStatus = ''; // the presence the agent chose; '' until the first session
  var autoSelect = {}; // conversations the agent asked for: open their tab on arrival
  var beeped = {}; // conversation → offer deadline already alerted for
  var typingSent = {}; // conversation → time our last typing frame went out
  var actions = {}; // conversation → {type, at}: the frame that awaits an answer by chat, chat_end or error
  var restoring = {}; // conversations the session frame listed whose chat frame has not come yet
  var callbacks = []; // open call-back requests, oldest first: [{id, conversation, seq, channel, text, time}]
  var callbackBusy = {}; // callback id → time its callback_done went out
  var callbacksSeen = false; // a callbacks frame came since sign-in
  var tabSeq = 0;
  // Work orders: the 登记工单 dialog's draft per conversation, with the id
  // its order frame carries ({id, form}); kept across reconnects and
  // reloads until the order is confirmed, so that a retry registers it once.
  var orderDrafts = {};
  var draftWanted = {}; // conversation → an order_draft frame awaits its answer
  var orderWait = {}; // conversation → {id, at}: an order frame awaits order_created or an error
  var hotItems = []; // supervisors: the hot issues as last sent
  var hotSeen = false; // a hot_issues frame came since sign-in

  function resetState() {
    supervisor = false;
    departments = [];
    deptNames = {};
    intents = [];
    phrases = [];
    queueState = { entries: [], agents: [], chats: [] };
    Object.keys(offers).forEach(removeOffer);
    offers = {};
    chats = {};
    order = [];
    selected = '';
    outbox = [];
    readSeq = {};
    drafts = {};
    wantStatus = '';
    autoSelect = {};
    beeped = {};
    typingSent = {};
    actions = {};
    restoring = {};
    callbacks = [];
    callbackBusy = {};
    callbacksSeen = false;
    orderDrafts = {};
    draftWanted = {};
    orderWait = {};
    hotItems = [];
    hotSeen = false;
    clear(ui.hotList);
    ui.supHot.hidden = true;
    clear(ui.tabs);
    clear(ui.transcript);
    clear(ui.queue);
    clear(ui.agents);
    clear(ui.live);
    clear(ui.callbackList);
    clear(ui.phrases);
    clear(ui.toasts);
    closeDialogs();
  }

  // ---------------------------------------------------------------- sign-in

  function api(method, path, body) {
    var opts = {
      method: method,
      credentials: 'same-origin',
      cache: 'no-store',
      headers: { 'Accept': 'application/json' }
    };
    if (body !== undefined) {
      opts.headers['Content-Type'] = 'application/json';
      opts.body = JSON.stringify(body);
    }
    return fetch('/api/v1/' + path, opts);
  }

  function profileFrom(p) {
    if (!p || typeof p !== 'object' || typeof p.username !== 'string' || !p.username) { return null; }
    return {
      username: p.username,
      name: str(p.name) || p.username,
      role: str(p.role) || 'agent',
      skills: arr(p.skills).map(str),
      max_chats: Number(p.max_chats) || 0
    };
  }

  // retryMinutes reads Retry-After (seconds or an HTTP date) as whole
  // minutes, at least one.
  function retryMinutes(h) {
    var v = str(h).trim();
    var secs = /^\d+$/.test(v) ? Number(v) : (Date.parse(v) - Date.now()) / 1000;
    if (!isFinite(secs) || secs <= 0) { secs = 15 * 60; }
    return Math.max(1, Math.ceil(secs / 60));
  }

  function showLogin(note) {
    stopConnection();
    me = null;
    ui.boot.hidden = true;
    ui.consoleView.hidden = true;
    ui.loginView.hidden = false;
    ui.loginNote.hidden = !note;
    ui.loginNote.textContent = note || '';
    ui.loginError.hidden = true;
    ui.loginSubmit.disabled = false;
    ui.loginSubmit.textContent = '登录';
    ui.password.value = '';
    updateSoundButton();
    document.title = '登录 - 12345坐席工作台';
    (ui.username.value ? ui.password : ui.username).focus();
  }

  function loginError(text) {
    ui.loginError.textContent = text;
    ui.loginError.hidden = false;
    ui.loginSubmit.disabled = false;
    ui.loginSubmit.textContent = '登录';
  }

  function onLoginSubmit(e) {
    e.preventDefault();
    unlockAudio(); // this click is the gesture that lets the offer tone play
    var username = ui.username.value.trim();
    var password = ui.password.value;
    if (!username || !password) {
      loginError(!username ? '请输入用户名。' : '请输入密码。');
      (!username ? ui.username : ui.password).focus();
      return;
    }
    ui.loginError.hidden = true;
    ui.loginSubmit.disabled = true;
    ui.loginSubmit.textContent = '正在登录…';
    api('POST', 'login', { username: username, password: password }).then(function (res) {
      if (res.status === 200) {
        return res.json().then(function (p) {
          var prof = profileFrom(p);
          if (!prof) { throw new Error('bad profile'); }
          ui.password.value = '';
          showConsole(prof);
        });
      }
      ui.password.value = '';
      if (res.status === 401) {
        loginError('用户名或密码错误，请重新输入。');
        ui.password.focus();
      } else if (res.status === 429) {
        loginError('登录失败次数过多，账号已临时锁定，请在' + retryMinutes(res.headers.get('Retry-After')) + '分钟后再试。');
      } else if (res.status === 403) {
        loginError('登录请求被拒绝，请通过本系统的正式网址访问。');
      } else {
        loginError('登录服务暂时不可用，请稍后再试。');
      }
    }).catch(function () {
      loginError('网络连接异常，请检查网络后重试。');
    });
  }

  function logoutRisk() {
    var live = order.filter(function (c) { return !chats[c].ended; }).length;
    var parts = [];
    if (live) { parts.push('您还有' + live + '个会话未结束，退出后超过保留时间将退回队列'); }
    if (outbox.length) { parts.push(outbox.length + '条回复尚未送达，退出后将不再发送'); }
    return parts.join('；');
  }

  function onLogoutClick() {
    var risk = logoutRisk();
    if (risk && typeof ui.logoutDialog.showModal === 'function') {
      ui.logoutText.textContent = risk + '。';
      openDialog(ui.logoutDialog, ui.logoutDialog.querySelector('[data-close]'));
      return;
    }
    logout();
  }

  function logout() {
    clearTimeout(saveSoonTimer);
    saveSoonTimer = 0;
    closeDialogs();
    stopConnection();
    forgetUser();
    var done = function () {
      resetState();
      showLogin('您已安全退出。');
    };
    api('POST', 'logout').then(done, done);
  }

  // sessionExpired is reached when the server no longer knows the cookie.
  // The outbox stays in sessionStorage under the agent's name: signing in
  // again as the same agent sends it.
  function sessionExpired() {
    var name = me ? me.username : '';
    resetState();
    ui.username.value = name;
    showLogin('登录已过期，请重新登录。');
  }

  function showConsole(profile) {
    me = profile;
    resetState();
    outbox = arr(loadJSON('outbox', [])).filter(function (m) {
      return m && typeof m.id === 'string' && typeof m.conversation === 'string' && typeof m.text === 'string';
    });
    readSeq = loadJSON('read', {});
    drafts = loadJSON('drafts', {});
    orderDrafts = loadJSON('orders', {});
    applyProfile();
    ui.boot.hidden = true;
    ui.loginView.hidden = true;
    ui.consoleView.hidden = false;
    renderQueue();
    renderCallbacks();
    renderSupervisor();
    renderPhrases();
    select('');
    audioContext();
    updateSoundButton();
    updateTitle();
    stopped = false;
    attempt = 0;
    connect();
  }

  function applyProfile() {
    supervisor = me.role === 'supervisor' || me.role === 'admin';
    ui.meName.textContent = me.name + '（' + me.username + '）';
    ui.meRole.textContent = ROLE[me.role] || me.role;
    ui.supAgents.hidden = !supervisor;
    ui.supChats.hidden = !supervisor;
    ui.supHot.hidden = !supervisor || hotItems.length === 0;
    ui.consoleView.classList.toggle('is-supervisor', supervisor);
  }

  // ---------------------------------------------------------------- connection

  var ws = null;
  var ready = false; // the session frame arrived on the current socket
  var stopped = true;
  var attempt = 0;
  var reconnectTimer = 0;
  var connectTimer = 0;
  var resendTimer = 0;
  var resendDelay = 2000;
  var everReady = false;

  function setConn(state, text) {
    ui.conn.setAttribute('data-state', state);
    ui.conn.textContent = text;
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

  // sendNow sends a frame that only makes sense now (accept, close…), and
  // tells the agent when there is no connection to send it on.
  function sendNow(obj) {
    if (ready && sendFrame(obj)) { return true; }
    toast('网络连接中断，操作未能发送，请在重新连接后再试。', true);
    return false;
  }

  function afterMap() {
    var after = {};
    var any = false;
    order.forEach(function (c) {
      var chat = chats[c];
      if (!chat.ended && chat.lastSeq > 0) {
        after[c] = chat.lastSeq;
        any = true;
      }
    });
    return any ? after : null;
  }

  function connect() {
    clearTimeout(reconnectTimer);
    reconnectTimer = 0;
    if (stopped || ws) { return; }
    setConn(everReady ? 'down' : 'connecting', everReady ? '连接中断，正在重新连接…' : '连接中…');
    var sock;
    try {
      sock = new WebSocket(WS_URL);
    } catch (e) {
      scheduleReconnect();
      return;
    }
    ws = sock;
    ready = false;
    // A handshake that hangs (dead proxy) is given up on.
    connectTimer = setTimeout(function () {
      if (ws === sock && sock.readyState === 0) { sock.close(); }
    }, 15000);

    sock.onopen = function () {
      if (ws !== sock) { return; }
      clearTimeout(connectTimer);
      var hello = { type: 'hello' };
      var after = afterMap();
      if (after) { hello.after = after; }
      sendFrame(hello);
    };
    sock.onmessage = function (ev) {
      if (ws !== sock) { return; }
      var f;
      try { f = JSON.parse(ev.data); } catch (e) { return; }
      if (!f || typeof f !== 'object' || Array.isArray(f)) { return; }
      try {
        handle(f);
      } catch (e) {
        // One odd frame must not stop the console.
        if (window.console) { window.console.error('agent console: frame', f.type, e); }
      }
    };
    sock.onclose = function () {
      if (ws !== sock) { return; }
      clearTimeout(connectTimer);
      var hadSession = ready;
      ws = null;
      ready = false;
      disconnected();
      if (stopped) { return; }
      if (hadSession) {
        scheduleReconnect();
        return;
      }
      // Refused before the session: maybe the sign-in expired (the upgrade
      // answers 401, which a browser does not show to scripts). Ask.
      setConn('down', '连接中断，正在重新连接…');
      api('GET', 'me').then(function (res) {
        if (stopped) { return; }
        if (res.status === 401) {
          sessionExpired();
        } else {
          scheduleReconnect();
        }
      }, function () {
        if (!stopped) { scheduleReconnect(); }
      });
    };
    sock.onerror = function () { /* onclose follows */ };
  }

  function scheduleReconnect() {
    if (reconnectTimer || stopped) { return; }
    // 0.5 s, 1 s, 2 s … capped at 15 s, ±25 % jitter so that a room of
    // consoles does not reconnect in step after a server restart.
    var base = Math.min(15000, 500 * Math.pow(2, attempt));
    var delay = Math.round(base * (0.75 + Math.random() * 0.5));
    attempt++;
    if (navigator.onLine === false) {
      setConn('offline', '网络已断开，请检查网络连接');
    } else {
      setConn('down', '连接中断，' + Math.max(1, Math.round(delay / 1000)) + '秒后重新连接…');
    }
    reconnectTimer = setTimeout(connect, delay);
  }

  function reconnectNow() {
    if (!stopped && !ws) {
      attempt = 0;
      connect();
    }
  }

  function stopConnection() {
    stopped = true;
    clearTimeout(reconnectTimer);
    clearTimeout(connectTimer);
    clearTimeout(resendTimer);
    reconnectTimer = connectTimer = resendTimer = 0;
    if (ws) {
      var s = ws;
      ws = null;
      ready = false;
      try { s.close(1000); } catch (e) { /* already closed */ }
    }
    everReady = false;
  }

  // disconnected drops what a closed socket made meaningless: an offer
  // cannot be accepted without a connection (the server sends it again after
  // hello if it still stands).
  function disconnected() {
    restoring = {};
    draftWanted = {};
    Object.keys(orderWait).forEach(function (conv) {
      delete orderWait[conv];
      if (dialogFor(ui.orderDialog, conv)) {
        showFormError(ui.orderError, ui.orderSubmit, '提交工单', '连接中断，工单尚未确认。重新连接后请再次提交，不会重复登记。');
      }
    });
    if (ui.orderDialog.open && ui.orderStatus.getAttribute('data-state') === 'loading') {
      setOrderStatus('', '');
    }
    Object.keys(offers).forEach(removeOffer);
    renderOffers();
    updateComposer();
  }

  function handle(f) {
    switch (f.type) {
      case 'session': onSession(f); break;
      case 'queue': onQueue(f); break;
      case 'offer': onOffer(f); break;
      case 'offer_gone': onOfferGone(f); break;
      case 'chat': onChat(f); break;
      case 'message': onMessage(f); break;
      case 'suggestions': onSuggestions(f); break;
      case 'typing': onTyping(f); break;
      case 'chat_end': onChatEnd(f); break;
      case 'callbacks': onCallbacks(f); break;
      case 'ack': onAck(f); break;
      case 'order_draft': onOrderDraft(f); break;
      case 'order_created': onOrderCreated(f); break;
      case 'hot_issues': onHotIssues(f); break;
      case 'error': onError(f); break;
      default:
        // Unknown frame types come from a newer server: ignore them.
    }
  }

  function onSession(f) {
    var p = profileFrom(f.agent);
    if (p && p.username === me.username) {
      me = p;
      applyProfile();
    }
    departments = arr(f.departments).filter(function (d) { return d && typeof d.code === 'string' && d.code; })
      .map(function (d) { return { code: d.code, name: str(d.name) || d.code }; });
    deptNames = {};
    departments.forEach(function (d) { deptNames[d.code] = d.name; });
    intents = arr(f.intents).filter(function (i) { return typeof i === 'string' && i; });
    phrases = arr(f.phrases).filter(function (p) { return p && typeof p.text === 'string' && p.text; })
      .map(function (p) { return { category: str(p.category) || '其他', text: p.text }; });

    ready = true;
    everReady = true;
    attempt = 0;
    setConn('open', '已连接');

    // Presence: the agent's own last choice wins over what the server
    // remembered (it may have been made while the connection was down).
    var server = f.status === 'away' ? 'away' : 'online';
    if (wantStatus && wantStatus !== server) {
      sendFrame({ type: 'status', status: wantStatus });
    } else {
      wantStatus = server;
    }
    ui.status.value = wantStatus;
    ui.consoleView.setAttribute('data-status', wantStatus);

    // session.chats lists the chats the agent holds now (their chat frames
    // follow): one shown here that is not among them ended while the
    // connection was down. Its replies still in the outbox fail with it
    // before the outbox goes out again below.
    if (Array.isArray(f.chats)) {
      restoring = {};
      f.chats.forEach(function (c) {
        if (typeof c === 'string' && c) { restoring[c] = true; }
      });
      order.forEach(function (c) {
        if (!chats[c].ended && !restoring[c]) { endChat(chats[c], 'lost'); }
      });
      // Replies kept across a reload for a chat that did not come back
      // have no bubble to mark: say so once.
      var orphans = outbox.filter(function (m) { return !restoring[m.conversation] && !chats[m.conversation]; });
      if (orphans.length) {
        orphans.forEach(function (m) { dropFromOutbox(m.id); });
        toast(orphans.length + '条回复未能送达：所在会话已不在您名下。', true);
      }
    }

    renderPhrases();
    renderQueue();
    renderSupervisor();
    if (selected) { renderChatHead(); renderAssist(); }
    updateComposer();

    // Everything written while away goes out now, with the ids it was
    // given: the server stores a repeated id once and acks it again.
    outbox.forEach(transmit);
  }

  // ---------------------------------------------------------------- queue

  function byPriority(list) {
    return list.map(function (e, i) { return { e: e, i: i }; }).sort(function (a, b) {
      var d = PRIORITY_RANK[prio(a.e.priority)] - PRIORITY_RANK[prio(b.e.priority)];
      return d || a.i - b.i;
    }).map(function (x) { return x.e; });
  }

  function onQueue(f) {
    queueState.entries = byPriority(arr(f.entries).filter(function (e) {
      return e && typeof e.conversation === 'string' && e.conversation;
    }));
    if (supervisor) {
      queueState.agents = arr(f.agents).filter(function (a) { return a && typeof a.username === 'string'; });
      queueState.chats = arr(f.chats).filter(function (c) { return c && typeof c.conversation === 'string'; });
    }
    renderQueue();
    renderSupervisor();
    if (supervisor) { relabel(); }
  }

  // relabel names colleagues in transcripts drawn before the agents list
  // arrived (after a reload the transcript comes first).
  function relabel() {
    order.forEach(function (c) {
      var ms = chats[c].list.querySelectorAll('.msg-colleague[data-agent]');
      for (var i = 0; i < ms.length; i++) {
        var from = ms[i].querySelector('.msg-from');
        var name = '客服 ' + agentName(ms[i].getAttribute('data-agent'));
        if (from && from.textContent !== name) { from.textContent = name; }
      }
    });
  }

  // keepFocus re-renders a list and puts the focus back on the same button
  // (same conversation, same action) if it was inside.
  function keepFocus(container, render) {
    var a = document.activeElement;
    var key = null;
    if (a && container.contains(a)) {
      var row = a.closest('[data-conversation]');
      key = { conv: row ? row.getAttribute('data-conversation') : '', test: a.getAttribute('data-test') || '' };
    }
    render();
    if (!key) { return; }
    var rows = container.querySelectorAll('[data-conversation]');
    for (var i = 0; i < rows.length; i++) {
      if (rows[i].getAttribute('data-conversation') === key.conv) {
        var b = key.test ? rows[i].querySelector('[data-test="' + key.test + '"]') : null;
        (b || rows[i]).focus();
        return;
      }
    }
  }

  function renderQueue() {
    keepFocus(ui.queue, function () {
      clear(ui.queue);
      queueState.entries.forEach(function (e) {
        var p = prio(e.priority);
        var li = el('li', 'queue-entry prio-row-' + p);
        li.setAttribute('data-test', 'queue-entry');
        li.setAttribute('data-conversation', e.conversation);
        li.setAttribute('data-priority', p);
        li.tabIndex = -1;

        var top = el('div', 'qe-top');
        top.appendChild(badge(p));
        top.appendChild(el('span', 'qe-channel', channelName(e.channel)));
        if (e.skill) { top.appendChild(el('span', 'qe-skill', deptName(e.skill))); }
        var t = parseTime(e.since);
        if (t) {
          var w = since(t, '等待 ');
          w.classList.add('qe-wait');
          top.appendChild(w);
        }
        li.appendChild(top);
        if (e.reason) { li.appendChild(el('p', 'qe-reason', reasonText(e.reason))); }
        if (e.preview) {
          var pv = el('p', 'qe-preview', str(e.preview));
          pv.title = str(e.preview);
          li.appendChild(pv);
        }
        var foot = el('div', 'qe-foot');
        var pos = Number(e.position);
        foot.appendChild(el('span', 'qe-pos', isFinite(pos) && pos > 0 ? '第' + pos + '位' : ''));
        if (e.offered_to) {
          foot.appendChild(el('span', 'qe-offered', '正在分配：' + (me && e.offered_to === me.username ? '我' : agentName(e.offered_to))));
        }
        if (supervisor) {
          var pick = btn('接起', 'btn-small btn-primary', 'pick');
          pick.setAttribute('aria-label', '接起' + PRIORITY[p] + '会话 ' + shortID(e.conversation));
          pick.addEventListener('click', function () {
            if (sendNow({ type: 'accept', conversation: e.conversation })) {
              autoSelect[e.conversation] = true;
              setAction('accept', e.conversation);
              pick.disabled = true;
              pick.textContent = '接起中…';
            }
          });
          foot.appendChild(pick);
        }
        li.appendChild(foot);
        ui.queue.appendChild(li);
      });
    });
    var n = queueState.entries.length;
    ui.queueCount.textContent = String(n);
    ui.queueEmpty.hidden = n > 0;
    var em = queueState.entries.filter(function (e) { return prio(e.priority) === 'emergency'; }).length;
    ui.queueCount.classList.toggle('count-alert', em > 0);
    ui.queueCount.setAttribute('aria-label', n + '位排队' + (em ? '，其中' + em + '位紧急' : ''));
  }

  function renderSupervisor() {
    if (!supervisor) { return; }
    // Agents: who is there, in what state, how loaded.
    clear(ui.agents);
    var agents = queueState.agents.slice().sort(function (a, b) {
      var r = { online: 0, busy: 1, away: 2, offline: 3 };
      return (r[a.status] == null ? 4 : r[a.status]) - (r[b.status] == null ? 4 : r[b.status]);
    });
    agents.forEach(function (a) {
      var tr = el('tr', 'agent-row');
      tr.setAttribute('data-test', 'agent');
      tr.setAttribute('data-username', a.username);
      var who = el('td', 'agent-who');
      who.appendChild(el('span', 'agent-name', str(a.name) || a.username));
      var skills = arr(a.skills).map(deptName).join('、');
      who.appendChild(el('span', 'agent-sub', a.username + (skills ? ' · ' + skills : '')));
      tr.appendChild(who);
      var st = str(a.status) || 'offline';
      var sc = el('td', 'agent-status');
      sc.appendChild(el('span', 'dot dot-' + (STATUS[st] ? st : 'offline'), STATUS[st] || st));
      tr.appendChild(sc);
      var active = Number(a.active) || 0;
      var max = Number(a.max_chats) || 0;
      var load = el('td', 'agent-load' + (max && active >= max ? ' is-full' : ''), active + '/' + max);
      load.setAttribute('aria-label', '进行中' + active + '个，上限' + max + '个');
      tr.appendChild(load);
      ui.agents.appendChild(tr);
    });
    var on = queueState.agents.filter(function (a) { return a.status === 'online' || a.status === 'busy'; }).length;
    ui.agentsCount.textContent = on + '/' + queueState.agents.length + ' 在线';
    var dl = ui.transferAgents;
    clear(dl);
    agents.forEach(function (a) {
      if (me && a.username === me.username) { return; }
      var o = el('option');
      o.value = a.username;
      o.textContent = (str(a.name) || a.username) + '（' + (STATUS[a.status] || str(a.status)) + '）';
      dl.appendChild(o);
    });

    // Every live chat, with join and take-over.
    keepFocus(ui.live, function () {
      clear(ui.live);
      byPriority(queueState.chats).forEach(function (c) {
        var p = prio(c.priority);
        var li = el('li', 'live-chat prio-row-' + p);
        li.setAttribute('data-test', 'live-chat');
        li.setAttribute('data-conversation', c.conversation);
        li.tabIndex = -1;
        var top = el('div', 'qe-top');
        top.appendChild(badge(p));
        top.appendChild(el('span', 'live-agent', agentName(c.agent)));
        var t = parseTime(c.since);
        if (t) { top.appendChild(since(t, '')); }
        li.appendChild(top);
        var foot = el('div', 'qe-foot');
        foot.appendChild(el('span', 'qe-pos', shortID(c.conversation)));
        var mine = me && c.agent === me.username;
        var held = chats[c.conversation] && !chats[c.conversation].ended;
        if (mine) {
          foot.appendChild(el('span', 'live-mine', '我的会话'));
        } else {
          if (!held) {
            var join = btn('接入', 'btn-small', 'join');
            join.setAttribute('aria-label', '接入旁听会话 ' + shortID(c.conversation) + '（' + agentName(c.agent) + '）');
            join.addEventListener('click', function () {
              if (sendNow({ type: 'join', conversation: c.conversation })) {
                autoSelect[c.conversation] = true;
                setAction('join', c.conversation);
                join.disabled = true;
              }
            });
            foot.appendChild(join);
          }
          var take = btn('接管', 'btn-small btn-warn', 'takeover');
          take.setAttribute('aria-label', '接管会话 ' + shortID(c.conversation) + '（' + agentName(c.agent) + '）');
          take.addEventListener('click', function () { takeover(c.conversation); });
          foot.appendChild(take);
        }
        li.appendChild(foot);
        ui.live.appendChild(li);
      });
    });
    ui.liveCount.textContent = String(queueState.chats.length);
    ui.liveEmpty.hidden = queueState.chats.length > 0;
  }

  // ---------------------------------------------------------------- call-back requests

  // PHONE finds phone numbers in a call-back request (mobile, or a
  // landline with its area code) to set them off for the agent who dials.
  var PHONE = /1[3-9]\d{9}|0\d{2,3}-?\d{7,8}/g;

  function onCallbacks(f) {
    var before = {};
    callbacks.forEach(function (c) { before[c.id] = true; });
    var first = !callbacksSeen;
    callbacksSeen = true;
    callbacks = arr(f.items).filter(function (c) {
      return c && typeof c.id === 'string' && c.id;
    });
    var now = {};
    var added = 0;
    callbacks.forEach(function (c) {
      now[c.id] = true;
      if (!before[c.id]) { added++; }
    });
    Object.keys(callbackBusy).forEach(function (id) {
      if (!now[id]) { delete callbackBusy[id]; }
    });
    renderCallbacks();
    if (added && !first) { toast('有' + added + '条新的市民留言待回访。'); }
  }

  // renderCallbacks draws the open requests, oldest first, keeping the
  // focus on the same request's button or, when that one is gone, on the
  // next one.
  function renderCallbacks() {
    var a = document.activeElement;
    var focusIndex = -1;
    var focusID = '';
    if (a && ui.callbackList.contains(a)) {
      var row = a.closest('[data-id]');
      focusID = row ? row.getAttribute('data-id') : '';
      focusIndex = Array.prototype.indexOf.call(ui.callbackList.children, row);
    }
    clear(ui.callbackList);
    var refocus = null;
    callbacks.forEach(function (c, i) {
      var li = el('li', 'callback');
      li.setAttribute('data-test', 'callback');
      li.setAttribute('data-id', c.id);
      li.setAttribute('data-conversation', str(c.conversation));
      var top = el('div', 'qe-top');
      var t = parseTime(c.time);
      if (t) {
        var tm = el('time', 'cb-time', clock(t));
        tm.setAttribute('datetime', new Date(t).toISOString());
        top.appendChild(tm);
      }
      top.appendChild(el('span', 'qe-channel', channelName(c.channel)));
      if (t) {
        var w = since(t, '已等 ');
        w.classList.add('qe-wait');
        top.appendChild(w);
      }
      li.appendChild(top);
      li.appendChild(callbackText(str(c.text)));
      var foot = el('div', 'qe-foot');
      foot.appendChild(el('span', 'qe-pos', '会话 ' + shortID(c.conversation)));
      var busy = !!callbackBusy[c.id];
      var done = btn(busy ? '处理中…' : '已回电', 'btn-small btn-primary', 'callback-done');
      done.disabled = busy;
      done.setAttribute('aria-label', '已回电：' + (t ? clock(t) + '的' : '') + '留言，会话 ' + shortID(c.conversation));
      done.addEventListener('click', function () { callbackDone(c.id, done); });
      foot.appendChild(done);
      li.appendChild(foot);
      ui.callbackList.appendChild(li);
      if (focusIndex >= 0 && (c.id === focusID || (!refocus && i >= focusIndex))) { refocus = done; }
    });
    if (focusIndex >= 0) {
      if (refocus && !refocus.disabled) { refocus.focus(); } else { ui.callbacksTitle.focus(); }
    }
    var n = callbacks.length;
    ui.callbacksCount.textContent = String(n);
    ui.callbacksCount.classList.toggle('count-warn', n > 0);
    ui.callbacksCount.setAttribute('aria-label', n + '条留言待回访');
    ui.callbacksEmpty.hidden = n > 0;
  }

  // callbackText is the request's text, phone numbers set off; all of it
  // is text nodes.
  function callbackText(text) {
    var p = el('p', 'cb-text');
    var at = 0;
    text.replace(PHONE, function (m, i) {
      if (i > at) { p.appendChild(document.createTextNode(text.slice(at, i))); }
      p.appendChild(el('span', 'cb-phone', m));
      at = i + m.length;
      return m;
    });
    if (at < text.length) { p.appendChild(document.createTextNode(text.slice(at))); }
    return p;
  }

  function callbackDone(id, button) {
    if (callbackBusy[id]) { return; }
    if (!sendNow({ type: 'callback_done', callback: id })) { return; }
    callbackBusy[id] = Date.now();
    button.disabled = true;
    button.textContent = '处理中…';
  }

  // callbackRefused handles unknown_callback, which names no request: the
  // server answers in order, so it is the oldest 已回电 still awaiting its
  // answer. That request is not (or no longer) open: it leaves the list.
  function callbackRefused(text) {
    var oldest = '';
    Object.keys(callbackBusy).forEach(function (id) {
      if (!oldest || callbackBusy[id] < callbackBusy[oldest]) { oldest = id; }
    });
    if (oldest) {
      delete callbackBusy[oldest];
      callbacks = callbacks.filter(function (c) { return c.id !== oldest; });
      renderCallbacks();
    }
    toast(text, true);
  }

  // tickCallbacks gives a 已回电 button back when no new list came in
  // ACTION_WAIT (a lost frame): pressing it again is harmless.
  function tickCallbacks(now) {
    var stale = Object.keys(callbackBusy).filter(function (id) { return now - callbackBusy[id] > ACTION_WAIT; });
    if (!stale.length) { return; }
    stale.forEach(function (id) { delete callbackBusy[id]; });
    renderCallbacks();
  }

  function takeover(conv) {
    if (sendNow({ type: 'takeover', conversation: conv })) {
      autoSelect[conv] = true;
      setAction('takeover', conv);
      toast('正在接管会话 ' + shortID(conv) + '…');
    }
  }

  // ---------------------------------------------------------------- offers

  function onOffer(f) {
    var conv = str(f.conversation);
    if (!conv) { return; }
    var now = Date.now();
    // The countdown runs on our clock: timeout from now, unless the server's
    // expires is earlier (an offer sent again after a reconnect) and
    // plausible (a clock that is off gives one in the past or too far off).
    var timeout = Number(f.timeout) > 0 ? Number(f.timeout) * 1000 : 15000;
    var deadline = now + timeout;
    var exp = parseTime(f.expires);
    if (exp > now && exp < deadline) { deadline = exp; }
    var o = offers[conv];
    if (!o) {
      o = offers[conv] = { conversation: conv };
    }
    o.f = f;
    o.deadline = deadline;
    o.total = timeout;
    o.busy = false;
    buildOffer(o);
    renderOffers();
    if (!beeped[conv] || beeped[conv] < now) {
      beeped[conv] = deadline;
      beep(prio(f.priority) === 'emergency');
      announce('新的接入请求：' + PRIORITY[prio(f.priority)] + '，' + (f.skill ? deptName(f.skill) + '，' : '') +
        '请在' + Math.round((deadline - now) / 1000) + '秒内接受。');
    }
    updateTitle();
  }

  function buildOffer(o) {
    var f = o.f;
    var p = prio(f.priority);
    var box = o.node || el('section');
    clear(box);
    box.className = 'offer prio-offer-' + p;
    box.setAttribute('data-test', 'offer');
    box.setAttribute('data-conversation', o.conversation);
    box.setAttribute('aria-label', '接入请求 ' + shortID(o.conversation));

    var head = el('div', 'offer-head');
    head.appendChild(badge(p));
    head.appendChild(el('strong', 'offer-title', f.note ? '转接会话待接入' : '新的市民会话待接入'));
    head.appendChild(el('span', 'offer-meta', [channelName(f.channel), deptName(f.skill), reasonText(f.reason)].filter(Boolean).join(' · ')));
    box.appendChild(head);
    if (f.preview) { box.appendChild(el('p', 'offer-preview', '“' + str(f.preview) + '”')); }
    if (f.note) { box.appendChild(el('p', 'offer-note', '转接说明：' + str(f.note))); }

    var foot = el('div', 'offer-foot');
    var count = el('span', 'offer-count');
    count.setAttribute('data-test', 'countdown');
    var bar = el('span', 'offer-bar');
    var fill = el('span', 'offer-fill');
    bar.appendChild(fill);
    bar.setAttribute('aria-hidden', 'true');
    var accept = btn('接受', 'btn-primary btn-accept', 'accept');
    var decline = btn('拒绝', 'btn-decline', 'decline');
    accept.setAttribute('aria-label', '接受会话 ' + shortID(o.conversation));
    decline.setAttribute('aria-label', '拒绝会话 ' + shortID(o.conversation));
    accept.addEventListener('click', function () {
      if (o.busy) { return; }
      if (sendNow({ type: 'accept', conversation: o.conversation })) {
        o.busy = true;
        autoSelect[o.conversation] = true;
        setAction('accept', o.conversation);
        accept.disabled = decline.disabled = true;
        accept.textContent = '正在接入…';
      }
    });
    decline.addEventListener('click', function () {
      if (o.busy) { return; }
      if (sendNow({ type: 'decline', conversation: o.conversation })) {
        removeOffer(o.conversation);
        renderOffers();
        toast('已拒绝该接入请求。');
      }
    });
    foot.appendChild(count);
    foot.appendChild(bar);
    foot.appendChild(decline);
    foot.appendChild(accept);
    box.appendChild(foot);
    o.node = box;
    o.count = count;
    o.fill = fill;
    o.accept = accept;
    o.decline = decline;
    tickOffer(o, Date.now());
  }

  function tickOffer(o, now) {
    var left = Math.max(0, o.deadline - now);
    var secs = Math.ceil(left / 1000);
    o.count.textContent = left > 0 ? '请在 ' + secs + ' 秒内接受' : '已超时';
    o.fill.style.width = (o.total > 0 ? Math.min(100, 100 * left / o.total) : 0) + '%';
    o.node.classList.toggle('is-late', left > 0 && secs <= 5);
    if (left <= 0) {
      o.accept.disabled = o.decline.disabled = true;
      // The server sends offer_gone or the chat; if neither comes, the card
      // goes anyway (an accept in flight is given a little longer).
      if (now - o.deadline > (o.busy ? ACTION_WAIT : 3000)) {
        removeOffer(o.conversation);
        renderOffers();
      }
    }
  }

  function removeOffer(conv) {
    var o = offers[conv];
    if (!o) { return; }
    if (o.node && o.node.parentNode) { o.node.parentNode.removeChild(o.node); }
    delete offers[conv];
    updateTitle();
  }

  function renderOffers() {
    var list = Object.keys(offers).map(function (c) { return offers[c]; }).sort(function (a, b) {
      return PRIORITY_RANK[prio(a.f.priority)] - PRIORITY_RANK[prio(b.f.priority)] || a.deadline - b.deadline;
    });
    // Move nodes only when the order changed: moving a node takes the
    // focus off its buttons.
    var inOrder = ui.offers.children.length === list.length && list.every(function (o, i) {
      return ui.offers.children[i] === o.node;
    });
    if (!inOrder) {
      list.forEach(function (o) { ui.offers.appendChild(o.node); });
    }
    ui.offers.hidden = list.length === 0;
    updateTitle();
  }

  function onOfferGone(f) {
    var conv = str(f.conversation);
    if (!offers[conv]) { return; }
    var accepted = offers[conv].busy;
    removeOffer(conv);
    renderOffers();
    // accepted: our accept went through, and the chat frame follows (the
    // server sends offer_gone first); declined: we declined it ourselves.
    if (f.reason === 'accepted' || f.reason === 'declined') { return; }
    if (accepted && chats[conv]) { return; }
    toast(GONE_REASON[f.reason] || '该接入请求已失效。', f.reason === 'timeout');
  }

  // ---------------------------------------------------------------- chats

  function ensureChat(conv) {
    var chat = chats[conv];
    if (chat) { return chat; }
    chat = chats[conv] = {
      id: conv, channel: '', priority: 'normal', skill: '', role: 'owner', since: 0, note: '',
      ended: '', lastSeq: 0, unread: 0, nlu: null, suggestions: null,
      typingUntil: 0, pending: [], wrapup: null
    };
    chat.list = el('ol', 'msgs');
    chat.list.setAttribute('aria-label', '对话记录');
    var tab = el('button', 'tab');
    tab.type = 'button';
    tab.id = 'chat-tab-' + (++tabSeq);
    tab.setAttribute('role', 'tab');
    tab.setAttribute('data-test', 'chat-tab');
    tab.setAttribute('data-conversation', conv);
    tab.setAttribute('aria-controls', 'chat');
    tab.setAttribute('aria-selected', 'false');
    tab.tabIndex = -1;
    chat.tabPrio = el('span', 'tab-prio');
    chat.tabLabel = el('span', 'tab-label');
    chat.tabState = el('span', 'tab-state');
    chat.tabTyping = el('span', 'tab-typing', '…');
    chat.tabTyping.hidden = true;
    chat.tabTyping.setAttribute('aria-hidden', 'true');
    chat.badge = el('span', 'unread', '0');
    chat.badge.setAttribute('data-test', 'unread');
    chat.badge.hidden = true;
    tab.appendChild(chat.tabPrio);
    tab.appendChild(chat.tabLabel);
    tab.appendChild(chat.tabState);
    tab.appendChild(chat.tabTyping);
    tab.appendChild(chat.badge);
    tab.addEventListener('click', function () { select(conv); });
    tab.addEventListener('keydown', onTabKey);
    chat.tab = tab;
    order.push(conv);
    ui.tabs.appendChild(tab);
    // Replies written before a reload wait for their chat to come back.
    outbox.forEach(function (m) {
      if (m.conversation === conv) { addPending(chat, m); }
    });
    return chat;
  }

  function renderTab(chat) {
    var p = prio(chat.priority);
    chat.tab.className = 'tab tab-' + p + (chat.ended ? ' is-ended' : '') + (chat.id === selected ? ' is-selected' : '');
    chat.tabPrio.textContent = p === 'normal' ? '' : PRIORITY[p];
    chat.tabPrio.className = p === 'normal' ? 'tab-prio' : 'tab-prio prio prio-' + p;
    chat.tabLabel.textContent = channelName(chat.channel) + '市民 ' + shortID(chat.id);
    chat.tabState.textContent = chat.ended ? '已结束' : (chat.role === 'observer' ? '旁听' : '');
    chat.badge.textContent = chat.unread > 99 ? '99+' : String(chat.unread);
    chat.badge.hidden = chat.unread === 0;
    chat.tabTyping.hidden = !(chat.typingUntil > Date.now());
    chat.tab.title = '会话 ' + chat.id;
    var label = chat.tabLabel.textContent + (p !== 'normal' ? '，' + PRIORITY[p] : '') +
      (chat.tabState.textContent ? '，' + chat.tabState.textContent : '') +
      (chat.unread ? '，' + chat.unread + '条未读' : '');
    chat.tab.setAttribute('aria-label', label);
  }

  function onTabKey(e) {
    var i = order.indexOf(selected);
    var next = null;
    if (e.key === 'ArrowRight' || e.key === 'ArrowDown') { next = order[(i + 1) % order.length]; }
    if (e.key === 'ArrowLeft' || e.key === 'ArrowUp') { next = order[(i - 1 + order.length) % order.length]; }
    if (e.key === 'Home') { next = order[0]; }
    if (e.key === 'End') { next = order[order.length - 1]; }
    if (next) {
      e.preventDefault();
      select(next);
      chats[next].tab.focus();
    }
  }

  function onChat(f) {
    var conv = str(f.conversation);
    if (!conv) { return; }
    var fresh = !chats[conv];
    // Chat frames for the chats the session frame listed restore what was
    // held before a reload or reconnect: no "new chat" notice for those.
    var restored = !!restoring[conv];
    delete restoring[conv];
    var chat = ensureChat(conv);
    var wasEnded = chat.ended;
    chat.channel = str(f.channel) || chat.channel;
    chat.priority = prio(f.priority || chat.priority);
    chat.skill = str(f.skill) || chat.skill;
    chat.role = f.role === 'observer' ? 'observer' : 'owner';
    chat.since = parseTime(f.since) || chat.since || Date.now();
    chat.note = str(f.note);
    chat.ended = '';
    if (wasEnded) { note(chat, chat.role === 'observer' ? '您已接入此会话（旁听）。' : '此会话已重新由您处理。'); }
    removeOffer(conv);
    renderOffers();
    var a = actions[conv];
    if (a && /^(accept|join|takeover)$/.test(a.type)) {
      if (a.type === 'takeover' && !fresh) { toast('已接管会话 ' + shortID(conv) + '。'); }
      delete actions[conv];
    }
    renderTab(chat);
    if (autoSelect[conv] || !selected || !chats[selected] || chats[selected].ended && !ui.reply.value) {
      delete autoSelect[conv];
      select(conv);
    } else if (fresh && !restored) {
      toast('新会话已接入：' + channelName(chat.channel) + '市民 ' + shortID(conv) + '。');
    }
    if (conv === selected) {
      renderChatHead();
      updateComposer();
    }
    renderSupervisor();
  }

  function endChat(chat, reason) {
    if (chat.ended) { return; }
    chat.ended = reason;
    chat.typingUntil = 0;
    note(chat, END_REASON[reason] || END_REASON.closed);
    // Replies not yet stored will not reach the citizen any more.
    outbox.filter(function (m) { return m.conversation === chat.id; }).forEach(function (m) {
      failMessage(m.id, '会话已结束，未送达');
    });
    delete drafts[chat.id];
    saveSoon();
    renderTab(chat);
    if (chat.id === selected) {
      ui.reply.value = '';
      renderChatHead();
      updateComposer();
      renderTyping();
    }
    renderSupervisor();
    updateTitle();
  }

  function onChatEnd(f) {
    var conv = str(f.conversation);
    var chat = chats[conv];
    if (!chat) { return; }
    var reason = str(f.reason) || 'closed';
    var a = actions[conv];
    if (a) {
      if (a.type === 'close') {
        closeDialogFor(ui.wrapupDialog, conv);
        toast('会话已结束，小结已保存。');
      } else if (a.type === 'transfer') {
        closeDialogFor(ui.transferDialog, conv);
        toast('会话已转接。');
      }
      delete actions[conv];
    }
    endChat(chat, reason);
  }

  function dismiss(conv) {
    var chat = chats[conv];
    if (!chat || !chat.ended) { return; }
    var i = order.indexOf(conv);
    order.splice(i, 1);
    if (chat.tab.parentNode) { chat.tab.parentNode.removeChild(chat.tab); }
    delete chats[conv];
    delete readSeq[conv];
    delete drafts[conv];
    saveSoon();
    var next = order[Math.min(i, order.length - 1)] || '';
    select(next);
    if (next) { chats[next].tab.focus(); } else { ui.chatEmpty.focus(); }
    renderSupervisor();
    updateTitle();
  }

  function select(conv) {
    if (selected && chats[selected] && !chats[selected].ended) {
      drafts[selected] = ui.reply.value;
      saveSoon();
    }
    selected = chats[conv] ? conv : '';
    order.forEach(function (c) {
      var chat = chats[c];
      var on = c === selected;
      chat.tab.setAttribute('aria-selected', on ? 'true' : 'false');
      chat.tab.tabIndex = on ? 0 : -1;
      renderTab(chat);
    });
    ui.chatEmpty.hidden = !!selected;
    ui.chat.hidden = !selected;
    clear(ui.transcript);
    if (!selected) {
      renderAssist();
      return;
    }
    var chat = chats[selected];
    ui.chat.setAttribute('aria-labelledby', chat.tab.id);
    ui.transcript.appendChild(chat.list);
    ui.reply.value = chat.ended ? '' : (drafts[selected] || '');
    renderChatHead();
    updateComposer();
    renderAssist();
    renderTyping();
    markRead(chat);
    ui.transcript.scrollTop = ui.transcript.scrollHeight;
  }

  function renderChatHead() {
    var chat = chats[selected];
    if (!chat) { return; }
    var p = prio(chat.priority);
    ui.chatPriority.className = 'prio prio-' + p;
    ui.chatPriority.textContent = PRIORITY[p];
    ui.chatName.textContent = channelName(chat.channel) + '市民 ' + shortID(chat.id) +
      (chat.role === 'observer' ? '（旁听）' : '');
    clear(ui.chatMeta);
    var parts = [];
    if (chat.skill) { parts.push('技能组：' + deptName(chat.skill)); }
    parts.push('渠道：' + channelName(chat.channel));
    if (chat.since) { parts.push('接入：' + clock(chat.since)); }
    ui.chatMeta.appendChild(document.createTextNode(parts.join(' · ') + ' · '));
    if (chat.ended) {
      ui.chatMeta.appendChild(el('span', 'ended-mark', '已结束'));
    } else if (chat.since) {
      ui.chatMeta.appendChild(since(chat.since, '时长 '));
    }
    ui.chatNote.hidden = !chat.note;
    ui.chatNote.textContent = chat.note ? '转接说明：' + chat.note : '';
    var owner = chat.role === 'owner' && !chat.ended;
    ui.closeChat.hidden = !owner;
    ui.transfer.hidden = !owner;
    ui.takeover.hidden = !(supervisor && chat.role === 'observer' && !chat.ended);
    ui.order.hidden = !mayOrder(chat);
    ui.dismiss.hidden = !chat.ended;
  }

  function updateComposer() {
    var chat = chats[selected];
    var live = !!chat && !chat.ended;
    ui.reply.disabled = !live;
    ui.send.disabled = !live;
    ui.reply.placeholder = !chat ? '' : chat.ended ? '会话已结束，无法回复。' :
      (ready ? '请输入回复内容，Enter 发送，Shift+Enter 换行' : '连接中断，回复将在重新连接后发送');
    updateCount();
  }

  function updateCount() {
    var n = ui.reply.value.length;
    ui.replyCount.textContent = n >= MAX_TEXT - 200 ? n + ' / ' + MAX_TEXT + ' 字' : '';
  }

  function visible() { return document.visibilityState !== 'hidden'; }

  function markRead(chat) {
    if (!chat || chat.id !== selected || !visible()) { return; }
    if (chat.unread) {
      chat.unread = 0;
      renderTab(chat);
    }
    if ((readSeq[chat.id] || 0) < chat.lastSeq) {
      readSeq[chat.id] = chat.lastSeq;
      saveSoon();
    }
    updateTitle();
  }

  function updateTitle() {
    var unread = 0;
    order.forEach(function (c) { unread += chats[c].unread; });
    var n = Object.keys(offers).length;
    document.title = (n ? '【' + n + '个接入请求】' : '') + (unread ? '(' + unread + ') ' : '') + '12345坐席工作台';
  }

  // ---------------------------------------------------------------- transcript

  // atEnd says whether the agent reads the end of the transcript. It is
  // kept on scroll rather than measured when needed: when the pane shrinks
  // (an offer appears above it) the end must stay in view, and by then a
  // measure says it is not.
  var atEnd = true;

  function nearEnd() {
    var t = ui.transcript;
    return t.scrollHeight - t.scrollTop - t.clientHeight < 80;
  }

  function keepEnd() {
    if (atEnd) { ui.transcript.scrollTop = ui.transcript.scrollHeight; }
  }

  // insert adds an entry before the replies still pending, which stay at
  // the end until the server has stored them.
  function insert(chat, node) {
    var showing = chat.id === selected;
    var stick = showing && (atEnd || nearEnd());
    var first = null;
    for (var i = 0; i < chat.pending.length; i++) {
      if (chat.pending[i].node.parentNode === chat.list) { first = chat.pending[i].node; break; }
    }
    chat.list.insertBefore(node, first);
    if (stick) { ui.transcript.scrollTop = ui.transcript.scrollHeight; }
  }

  function renderMessage(f) {
    var from = FROM[f.from] ? f.from : 'system';
    var li = el('li', 'msg msg-' + from);
    li.setAttribute('data-test', 'msg');
    li.setAttribute('data-from', from);
    li.setAttribute('data-seq', String(f.seq));
    var who = FROM[from];
    if (from === 'agent') {
      var mine = !f.agent || (me && f.agent === me.username);
      li.classList.add(mine ? 'msg-mine' : 'msg-colleague');
      who = mine ? '客服（我）' : '客服 ' + agentName(f.agent);
      if (!mine) { li.setAttribute('data-agent', str(f.agent)); }
    }
    var head = el('div', 'msg-head');
    head.appendChild(el('span', 'msg-from', who));
    var t = parseTime(f.time);
    if (t) {
      var tm = el('time', 'msg-time', clock(t));
      tm.setAttribute('datetime', new Date(t).toISOString());
      head.appendChild(tm);
    }
    if (from === 'citizen' && f.nlu && typeof f.nlu === 'object') {
      if (f.nlu.intent) { head.appendChild(el('span', 'msg-tag', INTENT[f.nlu.intent] || str(f.nlu.intent))); }
      var u = str(f.nlu.urgency);
      if (u === 'emergency' || u === 'urgent') { head.appendChild(el('span', 'prio prio-' + u, URGENCY[u])); }
    }
    li.appendChild(head);
    li.appendChild(el('div', 'msg-text', str(f.text)));
    // A picture, link or location the citizen sent: a link to it, opened
    // apart from the console (only http(s) and our own paths).
    var media = f.media && typeof f.media === 'object' ? f.media : null;
    var url = media ? str(media.url) : '';
    if (url && (/^https?:\/\//.test(url) || url.indexOf('/api/v1/media/') === 0)) {
      var a = el('a', 'msg-media', media.kind === 'image' ? '查看图片' : '打开链接');
      a.href = url;
      a.target = '_blank';
      a.rel = 'noopener noreferrer';
      a.setAttribute('data-test', 'media');
      li.appendChild(a);
    }
    var opts = arr(f.options).filter(function (o) { return typeof o === 'string' && o; });
    if (opts.length && from !== 'citizen') {
      var box = el('div', 'msg-options');
      box.appendChild(el('span', 'msg-options-label', '提供的选项：'));
      opts.forEach(function (o) { box.appendChild(el('span', 'msg-option', o)); });
      li.appendChild(box);
    }
    return li;
  }

  function onMessage(f) {
    var conv = str(f.conversation);
    if (!conv) { return; }
    var chat = ensureChat(conv);
    var seq = Number(f.seq);
    if (!isFinite(seq) || seq <= chat.lastSeq) {
      return; // already shown: never anything twice
    }
    chat.lastSeq = seq;
    if (order.length === 1 && !selected) { select(conv); }

    var id = str(f.id);
    if (f.from === 'agent' && id) {
      // The transcript copy of one of this agent's replies names the id the
      // console gave it: it replaces that pending bubble (a failed one too:
      // the copy proves it was stored) and settles it like an ack.
      var hit = findPending(id);
      if (hit && hit.chat === chat) {
        if (hit.p.node.parentNode) { hit.p.node.parentNode.removeChild(hit.p.node); }
        chat.pending.splice(chat.pending.indexOf(hit.p), 1);
      }
      dropFromOutbox(id);
    }
    if (f.from === 'citizen') {
      chat.typingUntil = 0;
      chat.nlu = { seq: seq, text: str(f.text), nlu: f.nlu && typeof f.nlu === 'object' ? f.nlu : null };
      if (seq > (readSeq[conv] || 0) && !(conv === selected && visible())) { chat.unread++; }
      if (conv === selected) { renderAssist(); renderTyping(); }
    }
    insert(chat, renderMessage(f));
    if (conv === selected) { markRead(chat); }
    renderTab(chat);
    updateTitle();
  }

  // note shows a line that is not part of the transcript (chat ended,
  // reply refused).
  function note(chat, text) {
    var li = el('li', 'msg msg-notice');
    li.setAttribute('data-test', 'notice');
    li.appendChild(el('div', 'msg-text', text));
    insert(chat, li);
  }

  function onTyping(f) {
    var chat = chats[str(f.conversation)];
    if (!chat || chat.ended) { return; }
    chat.typingUntil = Date.now() + TYPING_SHOW;
    renderTab(chat);
    if (chat.id === selected) { renderTyping(); }
  }

  function renderTyping() {
    var chat = chats[selected];
    var on = !!chat && chat.typingUntil > Date.now();
    ui.typing.textContent = on ? '对方正在输入…' : '';
  }

  // ---------------------------------------------------------------- assist

  function onSuggestions(f) {
    var chat = chats[str(f.conversation)];
    if (!chat) { return; }
    var seq = Number(f.seq) || 0;
    if (chat.suggestions && chat.suggestions.seq > seq) { return; } // for an older message
    chat.suggestions = {
      seq: seq,
      items: arr(f.items).filter(function (it) { return it && typeof it.answer === 'string' && it.answer; })
    };
    if (chat.id === selected) { renderSuggestions(chat); }
  }

  function renderAssist() {
    var chat = chats[selected];
    renderNLU(chat);
    renderSuggestions(chat);
  }

  function renderNLU(chat) {
    var box = ui.nlu;
    clear(box);
    if (!chat || !chat.nlu) {
      box.appendChild(el('p', 'empty', chat ? '市民发来消息后，这里显示诉求类型、承办部门、紧急程度和关键信息。' :
        '选中会话后，这里显示市民最新一条消息的分析结果。'));
      return;
    }
    var n = chat.nlu.nlu || {};
    var src = el('p', 'nlu-src');
    src.appendChild(el('span', 'nlu-src-label', '市民最新消息：'));
    src.appendChild(el('span', 'nlu-src-text', chat.nlu.text));
    box.appendChild(src);
    if (!chat.nlu.nlu) {
      box.appendChild(el('p', 'empty', '暂无分析结果。'));
      return;
    }
    var dl = el('dl', 'nlu-grid');
    function row(label, value, conf, cls, test) {
      dl.appendChild(el('dt', null, label));
      var dd = el('dd', cls || null);
      if (test) { dd.setAttribute('data-test', test); }
      dd.appendChild(el('span', 'nlu-value', value || '未识别'));
      var c = percent(conf);
      if (c) {
        var cs = el('span', 'nlu-conf', c);
        cs.setAttribute('aria-label', '置信度' + c);
        dd.appendChild(cs);
      }
      dl.appendChild(dd);
    }
    row('诉求类型', n.intent ? (INTENT[n.intent] || str(n.intent)) : '', n.intent_confidence, null, 'nlu-intent');
    row('承办部门', deptName(n.department), n.department_confidence, null, 'nlu-department');
    var u = URGENCY[n.urgency] ? n.urgency : 'none';
    dl.appendChild(el('dt', null, '紧急程度'));
    var ud = el('dd');
    ud.setAttribute('data-test', 'nlu-urgency');
    ud.appendChild(el('span', 'urg urg-' + u, URGENCY[u]));
    dl.appendChild(ud);
    box.appendChild(dl);

    var ents = arr(n.entities).filter(function (e) { return e && (e.value || e.value === 0); });
    var chips = el('div', 'chips');
    chips.setAttribute('aria-label', '识别到的关键信息');
    chips.setAttribute('role', 'list');
    ents.forEach(function (e) {
      var c = el('span', 'chip');
      c.setAttribute('role', 'listitem');
      c.setAttribute('data-test', 'entity');
      c.setAttribute('data-type', str(e.type));
      c.appendChild(el('span', 'chip-type', ENTITY[e.type] || str(e.type) || '信息'));
      c.appendChild(el('span', 'chip-value', str(e.value)));
      chips.appendChild(c);
    });
    if (!ents.length) { chips.appendChild(el('span', 'empty', '未识别到电话、地址等关键信息。')); }
    box.appendChild(chips);
  }

  function renderSuggestions(chat) {
    clear(ui.suggestions);
    var items = chat && chat.suggestions ? chat.suggestions.items : [];
    var live = !!chat && !chat.ended;
    items.forEach(function (it) {
      var li = el('li');
      var b = el('button', 'suggestion');
      b.type = 'button';
      b.setAttribute('data-test', 'suggestion');
      if (it.id) { b.setAttribute('data-id', str(it.id)); }
      b.disabled = !live;
      b.appendChild(el('span', 'sg-q', str(it.question) || '推荐答复'));
      b.appendChild(el('span', 'sg-a', it.answer));
      if (it.source) { b.appendChild(el('span', 'sg-src', '依据：' + str(it.source))); }
      b.setAttribute('aria-label', '插入推荐答复：' + (str(it.question) || it.answer.slice(0, 30)));
      b.addEventListener('click', function () { insertReply(it.answer); });
      li.appendChild(b);
      ui.suggestions.appendChild(li);
    });
    ui.suggestionsEmpty.hidden = items.length > 0;
    ui.suggestionsFor.hidden = !(items.length && chat.nlu && chat.suggestions.seq < chat.nlu.seq);
  }

  function renderPhrases() {
    clear(ui.phrases);
    if (!phrases.length) {
      ui.phrases.appendChild(el('p', 'empty', '暂无规范用语。'));
      return;
    }
    var groups = [];
    var byCat = {};
    phrases.forEach(function (p) {
      if (!byCat[p.category]) {
        byCat[p.category] = [];
        groups.push(p.category);
      }
      byCat[p.category].push(p.text);
    });
    groups.forEach(function (cat, gi) {
      var d = el('details', 'phrase-group');
      d.open = gi < 2;
      d.appendChild(el('summary', null, (PHRASE_CATEGORY[cat] || cat) + '（' + byCat[cat].length + '）'));
      var ul = el('ul', 'phrase-list');
      byCat[cat].forEach(function (raw) {
        var text = fillPhrase(raw);
        var li = el('li');
        var b = el('button', 'phrase', text);
        b.type = 'button';
        b.setAttribute('data-test', 'phrase');
        b.setAttribute('aria-label', '插入规范用语：' + text);
        b.addEventListener('click', function () { insertReply(text); });
        li.appendChild(b);
        ul.appendChild(li);
      });
      d.appendChild(ul);
      ui.phrases.appendChild(d);
    });
  }

  // fillPhrase puts the agent into a phrase's placeholders: {name} is the
  // display name, {id} the account's username (the profile has no other
  // 工号).
  function fillPhrase(text) {
    return text.replace(/\{name\}/g, me ? me.name : '').replace(/\{id\}/g, me ? me.username : '');
  }

  // insertReply puts text into the reply box at the cursor, to be edited
  // and sent by the agent: nothing goes to the citizen without a 发送.
  function insertReply(text) {
    var chat = chats[selected];
    if (!chat || chat.ended) {
      toast('请先选择一个进行中的会话。');
      return;
    }
    var r = ui.reply;
    var v = r.value;
    var start = typeof r.selectionStart === 'number' ? r.selectionStart : v.length;
    var end = typeof r.selectionEnd === 'number' ? r.selectionEnd : v.length;
    if (document.activeElement !== r) { start = end = v.length; }
    var before = v.slice(0, start);
    var sep = before && !/\s$/.test(before) ? '\n' : '';
    var ins = (sep + text).slice(0, Math.max(0, MAX_TEXT - (v.length - (end - start))));
    r.value = before + ins + v.slice(end);
    r.focus();
    var pos = before.length + ins.length;
    r.setSelectionRange(pos, pos);
    onReplyInput();
  }

  // ---------------------------------------------------------------- replies

  function sendReply() {
    var chat = chats[selected];
    if (!chat || chat.ended) { return; }
    var text = ui.reply.value.replace(/^\s+|\s+$/g, '');
    if (!text) {
      ui.reply.focus();
      return;
    }
    if (text.length > MAX_TEXT) {
      toast(ERROR_TEXT.text_too_long, true);
      return;
    }
    var m = { id: newID(), conversation: chat.id, text: text };
    outbox.push(m);
    saveOutbox();
    addPending(chat, m);
    if (ready) { transmit(m); }
    ui.reply.value = '';
    drafts[chat.id] = '';
    typingSent[chat.id] = 0;
    saveSoon();
    updateCount();
    ui.transcript.scrollTop = ui.transcript.scrollHeight;
  }

  function transmit(m) {
    sendFrame({ type: 'message', conversation: m.conversation, id: m.id, text: m.text });
  }

  function addPending(chat, m) {
    var li = el('li', 'msg msg-agent msg-mine msg-pending');
    li.setAttribute('data-test', 'msg-pending');
    li.setAttribute('data-from', 'agent');
    li.setAttribute('data-pending', m.id);
    var head = el('div', 'msg-head');
    head.appendChild(el('span', 'msg-from', '客服（我）'));
    var state = el('span', 'msg-state', '发送中');
    head.appendChild(state);
    li.appendChild(head);
    li.appendChild(el('div', 'msg-text', m.text));
    var p = { id: m.id, text: m.text, node: li, state: state, acked: false, failed: false };
    chat.pending.push(p);
    chat.list.appendChild(li);
    return p;
  }

  function findPending(id) {
    for (var i = 0; i < order.length; i++) {
      var chat = chats[order[i]];
      for (var j = 0; j < chat.pending.length; j++) {
        if (chat.pending[j].id === id) { return { chat: chat, p: chat.pending[j] }; }
      }
    }
    return null;
  }

  function dropFromOutbox(id) {
    var had = outbox.length;
    outbox = outbox.filter(function (m) { return m.id !== id; });
    if (outbox.length !== had) { saveOutbox(); }
  }

  function onAck(f) {
    var id = str(f.id);
    resendDelay = 2000;
    dropFromOutbox(id);
    var hit = findPending(id);
    if (hit && !hit.p.acked) {
      // Stored: the transcript copy replaces the bubble when it arrives.
      hit.p.acked = true;
      hit.p.node.classList.remove('msg-pending');
      hit.p.state.textContent = '已送达';
    }
  }

  // failMessage drops a reply the server refused for good from the outbox
  // and offers to send it again (under a new id, as a new reply).
  function failMessage(id, why) {
    dropFromOutbox(id);
    var hit = findPending(id);
    if (!hit || hit.p.failed) { return; }
    var p = hit.p;
    var chat = hit.chat;
    p.failed = true;
    p.node.classList.remove('msg-pending');
    p.node.classList.add('msg-failed');
    p.node.setAttribute('data-test', 'msg-failed');
    p.state.textContent = why || '未发送';
    if (chat.ended) { return; }
    var retry = btn('重新发送', 'btn-small', 'retry');
    retry.addEventListener('click', function () {
      if (p.node.parentNode) { p.node.parentNode.removeChild(p.node); }
      chat.pending = chat.pending.filter(function (q) { return q !== p; });
      if (chat.ended) { return; }
      var m = { id: newID(), conversation: chat.id, text: p.text };
      outbox.push(m);
      saveOutbox();
      addPending(chat, m);
      if (ready) { transmit(m); }
    });
    p.node.appendChild(retry);
  }

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

  function setAction(type, conv) {
    actions[conv] = { type: type, at: Date.now() };
  }

  // dialogFor tells whether dialog d is open for conversation conv.
  function dialogFor(d, conv) {
    return d.open && d.getAttribute('data-conversation') === conv;
  }

  function closeDialogFor(d, conv) {
    if (dialogFor(d, conv)) { closeDialog(d); }
  }

  // onError shows the server's polite text where it belongs: under the
  // refused reply (the error names its id), in the dialog of the
  // conversation the error names, on its offer, or as a notice.
  function onError(f) {
    var code = str(f.code);
    var text = str(f.message) || ERROR_TEXT[code] || '操作未能完成，请稍后重试。';
    var id = str(f.id);
    var conv = str(f.conversation);
    // not_yours: the server no longer counts the agent among the chat's
    // holders (it ended in a way this console missed): read-only from now.
    var lost = code === 'not_yours' && chats[conv] && !chats[conv].ended ? chats[conv] : null;
    if (id && outbox.some(function (m) { return m.id === id; })) {
      if (f.temporary) {
        scheduleResend();
      } else {
        failMessage(id, '未发送：' + text);
      }
      if (lost) { endChat(lost, 'lost'); }
      return;
    }
    if (!ready) {
      // hello refused: start the connection over.
      toast(text, true);
      if (ws) { ws.close(); }
      return;
    }
    if (f.temporary && outbox.length) { scheduleResend(); }
    if (orderRefused(f, text)) { return; }
    if (code === 'unknown_callback') {
      callbackRefused(text);
      return;
    }
    if (!conv) {
      toast(text, true);
      return;
    }
    var a = actions[conv];
    delete actions[conv];
    delete autoSelect[conv];
    if (lost) {
      closeDialogFor(ui.wrapupDialog, conv);
      closeDialogFor(ui.transferDialog, conv);
      closeDialogFor(ui.orderDialog, conv);
      endChat(lost, 'lost');
    }
    if (a && a.type === 'close' && dialogFor(ui.wrapupDialog, conv)) {
      showFormError(ui.wrapupError, ui.wrapupSubmit, '提交并结束', text);
      return;
    }
    if (a && a.type === 'transfer' && dialogFor(ui.transferDialog, conv)) {
      showFormError(ui.transferError, ui.transferSubmit, '确认转接', text);
      return;
    }
    var o = offers[conv];
    if (o) {
      // An accept or decline refused: the offer stands when trying again
      // makes sense, else it is gone.
      if (f.temporary) {
        o.busy = false;
        buildOffer(o);
      } else {
        removeOffer(conv);
      }
      renderOffers();
    }
    // Give back the pick, join and take-over buttons.
    renderQueue();
    renderSupervisor();
    toast('会话 ' + shortID(conv) + '：' + text, true);
  }

  // ---------------------------------------------------------------- typing

  function onReplyInput() {
    updateCount();
    var chat = chats[selected];
    if (!chat || chat.ended) { return; }
    drafts[chat.id] = ui.reply.value;
    saveSoon();
    var now = Date.now();
    if (ready && ui.reply.value && now - (typingSent[chat.id] || 0) >= TYPING_EVERY) {
      typingSent[chat.id] = now;
      sendFrame({ type: 'typing', conversation: chat.id });
    }
  }

  // ---------------------------------------------------------------- dialogs

  var dialogReturn = null;

  function openDialog(d, focus) {
    dialogReturn = document.activeElement;
    if (typeof d.showModal === 'function') {
      if (!d.open) { d.showModal(); }
    } else {
      d.setAttribute('open', '');
    }
    if (focus) { focus.focus(); }
  }

  function closeDialog(d) {
    if (!d) { return; }
    if (d.open) {
      if (typeof d.close === 'function') { d.close(); } else { d.removeAttribute('open'); }
    }
  }

  function closeDialogs() {
    [ui.transferDialog, ui.wrapupDialog, ui.orderDialog, ui.logoutDialog].forEach(closeDialog);
  }

  function onDialogClosed() {
    var r = dialogReturn;
    dialogReturn = null;
    if (r && document.contains(r) && !r.disabled && typeof r.focus === 'function') {
      r.focus();
    } else if (!ui.reply.disabled) {
      ui.reply.focus();
    }
  }

  function showFormError(p, submit, label, text) {
    p.textContent = text;
    p.hidden = false;
    submit.disabled = false;
    submit.textContent = label;
  }

  function fillSelect(sel, items, current, placeholder) {
    clear(sel);
    var o0 = el('option', null, placeholder);
    o0.value = '';
    sel.appendChild(o0);
    items.forEach(function (it) {
      var o = el('option', null, it.label);
      o.value = it.value;
      sel.appendChild(o);
    });
    sel.value = items.some(function (it) { return it.value === current; }) ? current : '';
  }

  function deptOptions() {
    return departments.map(function (d) { return { value: d.code, label: d.name }; });
  }

  function openTransfer() {
    var chat = chats[selected];
    if (!chat || chat.ended || chat.role !== 'owner') { return; }
    ui.transferError.hidden = true;
    ui.transferSubmit.disabled = false;
    ui.transferSubmit.textContent = '确认转接';
    fillSelect(ui.transferSkill, deptOptions(), chat.skill, '请选择技能组');
    ui.transferAgent.value = '';
    ui.transferNote.value = '';
    setTransferMode('skill');
    ui.transferDialog.setAttribute('data-conversation', chat.id);
    openDialog(ui.transferDialog, ui.transferSkill);
  }

  function setTransferMode(mode) {
    var radios = ui.transferForm.querySelectorAll('input[name="transfer-to"]');
    for (var i = 0; i < radios.length; i++) { radios[i].checked = radios[i].value === mode; }
    ui.transferSkillRow.hidden = mode !== 'skill';
    ui.transferAgentRow.hidden = mode !== 'agent';
  }

  function transferMode() {
    var r = ui.transferForm.querySelector('input[name="transfer-to"]:checked');
    return r ? r.value : 'skill';
  }

  function onTransferSubmit(e) {
    e.preventDefault();
    var conv = ui.transferDialog.getAttribute('data-conversation');
    var chat = chats[conv];
    if (!chat || chat.ended) {
      closeDialog(ui.transferDialog);
      return;
    }
    var f = { type: 'transfer', conversation: conv };
    if (transferMode() === 'agent') {
      var to = ui.transferAgent.value.trim();
      if (!to) {
        showFormError(ui.transferError, ui.transferSubmit, '确认转接', '请输入接收坐席的用户名。');
        ui.transferAgent.focus();
        return;
      }
      if (me && to === me.username) {
        showFormError(ui.transferError, ui.transferSubmit, '确认转接', '不能转接给自己，请输入其他坐席的用户名。');
        ui.transferAgent.focus();
        return;
      }
      f.to_agent = to;
    } else {
      if (!ui.transferSkill.value) {
        showFormError(ui.transferError, ui.transferSubmit, '确认转接', '请选择要转往的技能组。');
        ui.transferSkill.focus();
        return;
      }
      f.to_skill = ui.transferSkill.value;
    }
    var noteText = ui.transferNote.value.trim();
    if (noteText) { f.note = noteText; }
    if (!sendNow(f)) { return; }
    setAction('transfer', conv);
    ui.transferError.hidden = true;
    ui.transferSubmit.disabled = true;
    ui.transferSubmit.textContent = '正在转接…';
    waitAnswer(conv, ui.transferSubmit, '确认转接', ui.transferError);
  }

  // waitAnswer gives a dialog's button back when neither chat_end nor an
  // error has come in ACTION_WAIT.
  function waitAnswer(conv, submit, label, errorP) {
    var a = actions[conv];
    setTimeout(function () {
      if (a && actions[conv] === a && submit.disabled) {
        showFormError(errorP, submit, label, '暂未收到系统确认，请稍后重试。');
      }
    }, ACTION_WAIT);
  }

  function openWrapup() {
    var chat = chats[selected];
    if (!chat || chat.ended || chat.role !== 'owner') { return; }
    var w = chat.wrapup || {};
    var n = chat.nlu && chat.nlu.nlu ? chat.nlu.nlu : {};
    ui.wrapupError.hidden = true;
    ui.wrapupSubmit.disabled = false;
    ui.wrapupSubmit.textContent = '提交并结束';
    fillSelect(ui.wrapupType, intents.map(function (i) {
      return { value: i, label: INTENT[i] ? INTENT[i] + '（' + i + '）' : i };
    }), w.type || n.intent || '', '请选择诉求类型');
    fillSelect(ui.wrapupDept, deptOptions(), w.dept || n.department || chat.skill || '', '请选择承办部门');
    ui.wrapupSummary.value = w.summary || '';
    ui.wrapupResolved.value = w.resolved || '';
    ui.wrapupDialog.setAttribute('data-conversation', chat.id);
    openDialog(ui.wrapupDialog, ui.wrapupType.value ? ui.wrapupSummary : ui.wrapupType);
  }

  function saveWrapupDraft() {
    var chat = chats[ui.wrapupDialog.getAttribute('data-conversation')];
    if (!chat) { return; }
    chat.wrapup = {
      type: ui.wrapupType.value, dept: ui.wrapupDept.value,
      summary: ui.wrapupSummary.value, resolved: ui.wrapupResolved.value
    };
  }

  function onWrapupSubmit(e) {
    e.preventDefault();
    var conv = ui.wrapupDialog.getAttribute('data-conversation');
    var chat = chats[conv];
    if (!chat || chat.ended) {
      closeDialog(ui.wrapupDialog);
      return;
    }
    saveWrapupDraft();
    var summary = ui.wrapupSummary.value.trim();
    var missing = [
      [ui.wrapupType, '请选择诉求类型。'],
      [ui.wrapupDept, '请选择承办部门。'],
      [ui.wrapupSummary, '请填写处理摘要。'],
      [ui.wrapupResolved, '请选择是否解决。']
    ].filter(function (x) { return x[0] === ui.wrapupSummary ? !summary : !x[0].value; });
    [ui.wrapupType, ui.wrapupDept, ui.wrapupSummary, ui.wrapupResolved].forEach(function (x) {
      x.setAttribute('aria-invalid', missing.some(function (m) { return m[0] === x; }) ? 'true' : 'false');
    });
    if (missing.length) {
      showFormError(ui.wrapupError, ui.wrapupSubmit, '提交并结束', missing.map(function (m) { return m[1]; }).join(''));
      missing[0][0].focus();
      return;
    }
    if (summary.length > MAX_TEXT) {
      showFormError(ui.wrapupError, ui.wrapupSubmit, '提交并结束', '处理摘要不能超过2000字。');
      return;
    }
    var f = {
      type: 'close',
      conversation: conv,
      wrapup: {
        appeal_type: ui.wrapupType.value,
        department: ui.wrapupDept.value,
        summary: summary,
        resolved: ui.wrapupResolved.value === 'yes'
      }
    };
    if (!sendNow(f)) { return; }
    setAction('close', conv);
    ui.wrapupError.hidden = true;
    ui.wrapupSubmit.disabled = true;
    ui.wrapupSubmit.textContent = '正在提交…';
    waitAnswer(conv, ui.wrapupSubmit, '提交并结束', ui.wrapupError);
  }

  // ---------------------------------------------------------------- work orders

  // mayOrder tells whether the agent may register a work order for chat:
  // the agent holding it, or a supervisor who joined it.
  function mayOrder(chat) {
    return !!chat && !chat.ended && (chat.role === 'owner' || supervisor);
  }

  function setOrderStatus(state, text) {
    ui.orderStatus.setAttribute('data-state', state);
    ui.orderStatus.textContent = text;
  }

  function readOrderForm() {
    return {
      appeal_type: ui.orderType.value,
      department: ui.orderDept.value,
      summary: ui.orderSummary.value,
      address: ui.orderAddress.value,
      when: ui.orderWhen.value,
      name: ui.orderName.value,
      phone: ui.orderPhone.value,
      anonymous: ui.orderAnon.checked
    };
  }

  function fillOrderForm(form) {
    fillSelect(ui.orderType, ORDER_TYPES, str(form.appeal_type), '请选择诉求类型');
    fillSelect(ui.orderDept, deptOptions(), str(form.department), '由派单员分派');
    ui.orderSummary.value = str(form.summary);
    ui.orderAddress.value = str(form.address);
    ui.orderWhen.value = str(form.when);
    ui.orderName.value = str(form.name);
    ui.orderPhone.value = str(form.phone);
    ui.orderAnon.checked = form.anonymous === true;
    updateAnon();
  }

  // updateAnon offers 匿名举报 for reports only; an anonymous report keeps
  // no name and needs no phone.
  function updateAnon() {
    var report = ui.orderType.value === 'report';
    ui.orderAnonRow.hidden = !report;
    if (!report) { ui.orderAnon.checked = false; }
    var anon = ui.orderAnon.checked;
    ui.orderName.disabled = anon;
    ui.orderPhoneReq.hidden = anon;
  }

  function orderControls() {
    return ui.orderForm.querySelectorAll('[data-field]');
  }

  function markOrderField(field) {
    var cs = orderControls();
    for (var i = 0; i < cs.length; i++) {
      cs[i].setAttribute('aria-invalid', cs[i].getAttribute('data-field') === field ? 'true' : 'false');
    }
    var bad = ui.orderForm.querySelector('[data-field="' + field + '"]');
    if (bad && !bad.disabled) { bad.focus(); }
  }

  function openOrder() {
    var chat = chats[selected];
    if (!mayOrder(chat)) { return; }
    var conv = chat.id;
    var d = orderDrafts[conv];
    if (!d || typeof d !== 'object' || !d.form || typeof d.form !== 'object') {
      d = orderDrafts[conv] = { id: '', form: {}, prefilled: false };
    }
    ui.orderDialog.setAttribute('data-conversation', conv);
    ui.orderError.hidden = true;
    var waiting = !!orderWait[conv];
    ui.orderSubmit.disabled = waiting;
    ui.orderSubmit.textContent = waiting ? '正在提交…' : '提交工单';
    fillOrderForm(d.form);
    markOrderField('');
    setOrderStatus('', '');
    if (!d.prefilled && !draftWanted[conv]) {
      if (sendNow({ type: 'order_draft', conversation: conv })) {
        draftWanted[conv] = true;
      }
    }
    if (draftWanted[conv]) { setOrderStatus('loading', '正在根据对话内容预填…'); }
    openDialog(ui.orderDialog, ui.orderType.value ? ui.orderSummary : ui.orderType);
  }

  function onOrderInput(e) {
    var conv = ui.orderDialog.getAttribute('data-conversation');
    var d = orderDrafts[conv];
    if (!d) { return; }
    if (e && e.target === ui.orderType) { updateAnon(); }
    if (e && e.target === ui.orderAnon) { updateAnon(); }
    d.form = readOrderForm();
    if (e && e.target && e.target.getAttribute) { e.target.setAttribute('aria-invalid', 'false'); }
    saveSoon();
  }

  // onOrderDraft fills what the server found in the chat into the fields
  // the agent has left empty.
  function onOrderDraft(f) {
    var conv = str(f.conversation);
    if (!draftWanted[conv]) { return; }
    delete draftWanted[conv];
    var d = orderDrafts[conv];
    if (!d) { return; }
    var found = f.draft && typeof f.draft === 'object' ? f.draft : {};
    var open = dialogFor(ui.orderDialog, conv);
    if (open) { d.form = readOrderForm(); }
    ORDER_FIELDS.forEach(function (k) {
      if (k === 'anonymous') { return; }
      if (!str(d.form[k]) && str(found[k])) { d.form[k] = str(found[k]); }
    });
    d.prefilled = true;
    saveSoon();
    if (open) {
      fillOrderForm(d.form);
      setOrderStatus('done', '已根据对话内容预填，请核对后提交。');
      if (document.activeElement === ui.orderType && ui.orderType.value) { ui.orderSummary.focus(); }
    }
  }

  function onOrderSubmit(e) {
    e.preventDefault();
    var conv = ui.orderDialog.getAttribute('data-conversation');
    var chat = chats[conv];
    var d = orderDrafts[conv];
    if (!mayOrder(chat) || !d) {
      closeDialog(ui.orderDialog);
      return;
    }
    if (orderWait[conv]) { return; }
    d.form = readOrderForm();
    var form = d.form;
    var anon = form.anonymous && form.appeal_type === 'report';
    var missing = [];
    if (!form.appeal_type) { missing.push(['appeal_type', '请选择诉求类型。']); }
    if (!form.summary.trim()) { missing.push(['summary', '请填写反映事项。']); }
    if (!anon && !form.phone.trim()) { missing.push(['phone', '请填写联系电话。']); }
    if (missing.length) {
      showFormError(ui.orderError, ui.orderSubmit, '提交工单', missing.map(function (m) { return m[1]; }).join(''));
      markOrderField(missing[0][0]);
      return;
    }
    if (!d.id) { d.id = newID(); }
    saveSoon();
    var order = { appeal_type: form.appeal_type, summary: form.summary.trim() };
    ['department', 'address', 'when', 'name', 'phone'].forEach(function (k) {
      var v = str(form[k]).trim();
      if (v && !(k === 'name' && anon)) { order[k] = v; }
    });
    if (anon) { order.anonymous = true; }
    if (!sendNow({ type: 'order', id: d.id, conversation: conv, order: order })) {
      showFormError(ui.orderError, ui.orderSubmit, '提交工单', '网络连接中断，工单未提交。重新连接后请再次提交。');
      return;
    }
    var w = orderWait[conv] = { id: d.id, at: Date.now() };
    ui.orderError.hidden = true;
    markOrderField('');
    ui.orderSubmit.disabled = true;
    ui.orderSubmit.textContent = '正在提交…';
    setTimeout(function () {
      if (orderWait[conv] !== w) { return; }
      delete orderWait[conv];
      if (dialogFor(ui.orderDialog, conv)) {
        showFormError(ui.orderError, ui.orderSubmit, '提交工单', '暂未收到系统确认，请稍后再次提交，不会重复登记。');
      }
    }, ACTION_WAIT);
  }

  function dueText(s) {
    var t = parseTime(s);
    if (!t) { return ''; }
    var d = new Date(t);
    return d.getFullYear() + '年' + (d.getMonth() + 1) + '月' + d.getDate() + '日';
  }

  function onOrderCreated(f) {
    var conv = str(f.conversation);
    var id = str(f.id);
    var number = str(f.number);
    if (orderWait[conv] && orderWait[conv].id === id) { delete orderWait[conv]; }
    var d = orderDrafts[conv];
    if (d && d.id === id) {
      delete orderDrafts[conv];
      saveSoon();
      if (dialogFor(ui.orderDialog, conv)) { closeDialog(ui.orderDialog); }
    }
    var chat = chats[conv];
    var due = dueText(f.due);
    if (chat && number && !chat.list.querySelector('[data-number="' + number.replace(/[^0-9-]/g, '') + '"]')) {
      var li = el('li', 'msg msg-notice');
      li.setAttribute('data-test', 'order-note');
      li.setAttribute('data-number', number);
      li.appendChild(el('div', 'msg-text', '已登记工单 ' + number + (due ? '，答复期限 ' + due : '') + '，已告知市民。'));
      insert(chat, li);
    }
    toast('工单已登记，编号 ' + number + '。');
  }

  // orderRefused shows an error about an order frame or an order_draft in
  // the order dialog; it tells whether the error is dealt with.
  function orderRefused(f, text) {
    var id = str(f.id);
    var conv = str(f.conversation);
    var code = str(f.code);
    if (!id) {
      if (!draftWanted[conv]) { return false; }
      delete draftWanted[conv];
      if (dialogFor(ui.orderDialog, conv)) { setOrderStatus('warn', '未能根据对话预填（' + text + '），请手工填写。'); }
      return code !== 'not_yours';
    }
    var w = orderWait[conv];
    if (!w || w.id !== id) { return false; }
    delete orderWait[conv];
    if (!dialogFor(ui.orderDialog, conv)) {
      toast('会话 ' + shortID(conv) + '：工单未登记，' + text, true);
      return code !== 'not_yours';
    }
    if (code === 'bad_order') {
      showFormError(ui.orderError, ui.orderSubmit, '提交工单', text);
      markOrderField(str(f.field));
      return true;
    }
    showFormError(ui.orderError, ui.orderSubmit, '提交工单', f.temporary ? text + '请稍后再次提交，不会重复登记。' : text);
    return code !== 'not_yours';
  }

  // ---------------------------------------------------------------- hot issues

  // onHotIssues shows supervisors the groups of similar appeals (热点) in
  // a banner at the top of the left pane. The alert is visual and spoken
  // by screen readers, without a tone: the tone means "accept a chat".
  function onHotIssues(f) {
    if (!supervisor) { return; }
    var before = {};
    hotItems.forEach(function (h) { before[hotKey(h)] = h.count; });
    var first = !hotSeen;
    hotSeen = true;
    hotItems = arr(f.items).filter(function (h) {
      return h && typeof h.department === 'string' && Number(h.count) > 0;
    });
    var fresh = hotItems.filter(function (h) { return !(hotKey(h) in before); });
    renderHot();
    if (fresh.length) {
      var h = fresh[0];
      var text = '热点预警：' + (deptName(h.department) || '未定部门') + '短时间内收到' + Number(h.count) + '件相似诉求。';
      announce(text);
      if (!first) { toast(text, true); }
    }
  }

  function hotKey(h) { return str(h.department) + '|' + str(h.since); }

  function renderHot() {
    clear(ui.hotList);
    hotItems.forEach(function (h) {
      var li = el('li', 'hot-item');
      li.setAttribute('data-test', 'hot-issue');
      li.setAttribute('data-department', str(h.department));
      li.setAttribute('data-count', String(Number(h.count)));
      var head = el('div', 'hot-head');
      head.appendChild(el('span', 'hot-dept', deptName(h.department) || '未定部门'));
      head.appendChild(el('span', 'hot-n', '相似诉求 ' + Number(h.count) + ' 件'));
      var t = parseTime(h.since);
      if (t) {
        var tm = el('time', 'hot-since', '自 ' + clock(t) + ' 起');
        tm.setAttribute('datetime', new Date(t).toISOString());
        head.appendChild(tm);
      }
      li.appendChild(head);
      if (h.example) { li.appendChild(el('p', 'hot-example', '“' + str(h.example) + '”')); }
      var numbers = arr(h.numbers).map(str).filter(Boolean);
      if (numbers.length) {
        var more = Number(h.count) > 6 ? ' 等' + Number(h.count) + '件' : '';
        var p = el('p', 'hot-numbers', '工单：');
        p.setAttribute('data-test', 'hot-numbers');
        numbers.slice(0, 6).forEach(function (n, i) {
          if (i) { p.appendChild(document.createTextNode('、')); }
          p.appendChild(el('span', 'hot-number', n));
        });
        if (more) { p.appendChild(document.createTextNode(more)); }
        li.appendChild(p);
      }
      ui.hotList.appendChild(li);
    });
    ui.hotCount.textContent = String(hotItems.length);
    ui.hotCount.setAttribute('aria-label', hotItems.length + '个热点');
    ui.supHot.hidden = !supervisor || hotItems.length === 0;
  }

  // ---------------------------------------------------------------- ticker

  function tick() {
    var now = Date.now();
    var ss = document.querySelectorAll('[data-since]');
    for (var i = 0; i < ss.length; i++) {
      var t = Number(ss[i].getAttribute('data-since'));
      if (t) { ss[i].textContent = ss[i].getAttribute('data-prefix') + duration(now - t); }
    }
    Object.keys(offers).forEach(function (c) {
      if (offers[c]) { tickOffer(offers[c], now); }
    });
    tickCallbacks(now);
    order.forEach(function (c) {
      var chat = chats[c];
      if (chat.typingUntil && chat.typingUntil <= now) {
        chat.typingUntil = 0;
        renderTab(chat);
        if (c === selected) { renderTyping(); }
      }
    });
  }

  // ---------------------------------------------------------------- start

  function bind() {
    var ids = {
      boot: 'boot', loginView: 'login-view', loginForm: 'login-form', loginNote: 'login-note',
      username: 'login-username', password: 'login-password', loginError: 'login-error', loginSubmit: 'login-submit',
      consoleView: 'console-view', meName: 'me-name', meRole: 'me-role', status: 'status', conn: 'conn',
      sound: 'sound', logout: 'logout', offers: 'offers', queue: 'queue', queueCount: 'queue-count',
      queueEmpty: 'queue-empty', callbackList: 'callback-list', callbacksCount: 'callbacks-count',
      callbacksEmpty: 'callbacks-empty', callbacksTitle: 'callbacks-title', supAgents: 'sup-agents', agents: 'agents', agentsCount: 'agents-count',
      supChats: 'sup-chats', live: 'live', liveCount: 'live-count', liveEmpty: 'live-empty', tabs: 'tabs',
      chatEmpty: 'chat-empty', chat: 'chat', chatPriority: 'chat-priority', chatName: 'chat-name',
      chatMeta: 'chat-meta', chatNote: 'chat-note', takeover: 'takeover', transfer: 'transfer',
      closeChat: 'close-chat', dismiss: 'dismiss-chat', transcript: 'transcript', typing: 'typing',
      replyForm: 'reply-form', reply: 'reply', replyCount: 'reply-count', send: 'send', nlu: 'nlu',
      suggestions: 'suggestions', suggestionsEmpty: 'suggestions-empty', suggestionsFor: 'suggestions-for', phrases: 'phrases', toasts: 'toasts',
      transferDialog: 'transfer-dialog', transferForm: 'transfer-form', transferSkillRow: 'transfer-skill-row',
      transferAgentRow: 'transfer-agent-row', transferSkill: 'transfer-skill', transferAgent: 'transfer-agent',
      transferAgents: 'transfer-agents', transferNote: 'transfer-note', transferError: 'transfer-error',
      transferSubmit: 'transfer-submit', wrapupDialog: 'wrapup-dialog', wrapupForm: 'wrapup-form',
      wrapupType: 'wrapup-type', wrapupDept: 'wrapup-dept', wrapupSummary: 'wrapup-summary',
      wrapupResolved: 'wrapup-resolved', wrapupError: 'wrapup-error', wrapupSubmit: 'wrapup-submit',
      logoutDialog: 'logout-dialog', logoutForm: 'logout-form', logoutText: 'logout-text',
      order: 'order', orderDialog: 'order-dialog', orderForm: 'order-form', orderStatus: 'order-status',
      orderType: 'order-type', orderDept: 'order-dept', orderSummary: 'order-summary', orderAddress: 'order-address',
      orderWhen: 'order-when', orderName: 'order-name', orderPhone: 'order-phone', orderPhoneReq: 'order-phone-req',
      orderAnonRow: 'order-anon-row', orderAnon: 'order-anon', orderError: 'order-error', orderSubmit: 'order-submit',
      supHot: 'sup-hot', hotList: 'hot-list', hotCount: 'hot-count', hotTitle: 'hot-title'
    };
    Object.keys(ids).forEach(function (k) { ui[k] = $(ids[k]); });
    toastBox = ui.toasts;
    ui.chatEmpty.tabIndex = -1;
    announcer = el('p', 'sr');
    announcer.setAttribute('role', 'alert');
    document.body.appendChild(announcer);

    ui.loginForm.addEventListener('submit', onLoginSubmit);
    ui.logout.addEventListener('click', onLogoutClick);
    ui.logoutForm.addEventListener('submit', function (e) {
      e.preventDefault();
      logout();
    });
    ui.sound.addEventListener('click', function () {
      unlockAudio();
      beep(false);
    });
    ui.status.addEventListener('change', function () {
      wantStatus = ui.status.value === 'away' ? 'away' : 'online';
      ui.consoleView.setAttribute('data-status', wantStatus);
      if (ready) { sendFrame({ type: 'status', status: wantStatus }); }
      toast(wantStatus === 'away' ? '已切换为小休，暂停接收新会话；进行中的会话不受影响。' : '已切换为在线，可以接收新会话。');
    });

    ui.replyForm.addEventListener('submit', function (e) {
      e.preventDefault();
      sendReply();
      ui.reply.focus();
    });
    ui.reply.addEventListener('keydown', function (e) {
      // Enter sends, Shift+Enter breaks the line; the Enter that confirms
      // an IME candidate (拼音 input) must not send.
      if (e.key === 'Enter' && !e.shiftKey && !e.altKey && !e.isComposing && e.keyCode !== 229) {
        e.preventDefault();
        sendReply();
      }
    });
    ui.reply.addEventListener('input', onReplyInput);
    ui.transcript.addEventListener('scroll', function () { atEnd = nearEnd(); });
    if (typeof window.ResizeObserver === 'function') {
      new window.ResizeObserver(keepEnd).observe(ui.transcript);
    }
    ui.transfer.addEventListener('click', openTransfer);
    ui.closeChat.addEventListener('click', openWrapup);
    ui.takeover.addEventListener('click', function () { if (selected) { takeover(selected); } });
    ui.dismiss.addEventListener('click', function () { dismiss(selected); });

    ui.transferForm.addEventListener('submit', onTransferSubmit);
    ui.transferForm.addEventListener('change', function (e) {
      if (e.target && e.target.name === 'transfer-to') {
        setTransferMode(e.target.value);
        (e.target.value === 'agent' ? ui.transferAgent : ui.transferSkill).focus();
      }
    });
    ui.wrapupForm.addEventListener('submit', onWrapupSubmit);
    ui.wrapupForm.addEventListener('input', saveWrapupDraft);
    ui.order.addEventListener('click', openOrder);
    ui.orderForm.addEventListener('submit', onOrderSubmit);
    ui.orderForm.addEventListener('input', onOrderInput);
    ui.orderForm.addEventListener('change', onOrderInput);
    [ui.transferDialog, ui.wrapupDialog, ui.orderDialog, ui.logoutDialog].forEach(function (d) {
      d.addEventListener('close', onDialogClosed);
      var c = d.querySelector('[data-close]');
      if (c) { c.addEventListener('click', function () { closeDialog(d); }); }
    });

    // Any click or key lets the offer tone play (browsers' autoplay rule).
    document.addEventListener('pointerdown', unlockAudio, true);
    document.addEventListener('keydown', unlockAudio, true);
    window.addEventListener('online', reconnectNow);
    window.addEventListener('offline', function () {
      if (!ready) { setConn('offline', '网络已断开，请检查网络连接'); }
    });
    document.addEventListener('visibilitychange', function () {
      if (!visible()) { return; }
      reconnectNow();
      markRead(chats[selected]);
    });
    window.addEventListener('pagehide', function () {
      if (me && selected && chats[selected] && !chats[selected].ended) { drafts[selected] = ui.reply.value; }
      if (me) {
        store.set(userKey('read'), JSON.stringify(readSeq));
        store.set(userKey('drafts'), JSON.stringify(drafts));
        store.set(userKey('orders'), JSON.stringify(orderDrafts));
      }
    });
    setInterval(tick, 1000);
  }

  function start() {
    bind();
    api('GET', 'me').then(function (res) {
      if (res.status === 200) {
        return res.json().then(function (p) {
          var prof = profileFrom(p);
          if (prof) { showConsole(prof); } else { showLogin(); }
        });
      }
      showLogin(res.status === 401 ? '' : '登录服务暂时不可用，请稍后刷新页面重试。');
    }).catch(function () {
      showLogin('网络连接异常，请检查网络后刷新页面。');
    });
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
})();
