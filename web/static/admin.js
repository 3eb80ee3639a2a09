/*
 * 本市12345政务服务便民热线 — supervisors' dashboard (运行监测), served at /admin.
 *
 * Reads GET /api/v1/stats (the JSON of stats.Report, docs/API.md) for the
 * filters in the page's URL (range=today|7d|30d|month, or from/to; channel,
 * department, granularity), so a view can be bookmarked and reloaded, and
 * draws it: headline cards, inline SVG charts with a data table each, and
 * the per-channel, per-department and knowledge base miss tables with links
 * to GET /api/v1/stats.csv. It refreshes every 60 s while the tab is shown.
 *
 * Sign-in: a staff session cookie (POST /api/v1/login, same origin), or the
 * admin token, kept in sessionStorage only (this tab, until it closes) and
 * sent as Authorization: Bearer; CSV downloads then go through fetch with
 * the header and are saved from a blob.
 *
 * Every text from the network is set with textContent and every chart is
 * built with createElementNS: nothing is ever parsed as HTML. Plain modern
 * JavaScript, no framework, no build step, no third-party requests.
 */
(() => {
  'use strict';

  const TZ = 'Asia/Shanghai'; // the hotline's days, whatever the browser's zone
  const REFRESH_MS = 60000;
  const TOKEN_KEY = 'hotline.admin.token';
  const SVG_NS = 'http://www.w3.org/2000/svg';

  // ---------------------------------------------------------------- words

  const CHANNELS = { web: '网页', wechat: '微信', app: 'App' };
  // The codes and names of kb-data/departments.yaml (web_test.go keeps
  // them in step).
  const DEPARTMENTS = {
    social_security: '社会保障',
    medical_insurance: '医疗保障',
    housing_fund: '住房公积金',
    household: '户籍证件',
    traffic: '交通出行',
    housing: '住房房产',
    education: '教育',
    employment: '就业与劳动关系',
    market: '市场监管',
    urban: '城市管理',
    environment: '生态环境',
    utilities: '水电气热',
    health: '卫生健康',
    civil_affairs: '民政',
    tax: '税务',
    public_security: '公安治安',
    other: '12345热线'
  };
  const INTENTS = {
    consult: '咨询', complaint: '投诉', report: '举报', help: '求助', suggestion: '建议',
    praise: '表扬', greeting: '问候', thanks: '致谢', goodbye: '告别', human: '转人工',
    ticket_status: '工单查询', other: '其他'
  };
  const DECISIONS = { none: '未找到答案', clarify: '需澄清' };
  const SATISFACTION = ['不满意', '基本满意', '满意', '非常满意'];
  const GRANULARITY = { day: '按日', week: '按周', month: '按月' };
  const ROLES = { agent: '坐席', supervisor: '值班长', admin: '管理员' };
  const PRESETS = { today: '今天', '7d': '近7天', '30d': '近30天', month: '本月' };

  // ---------------------------------------------------------------- state

  const ui = {};
  let view = { range: '7d', from: '', to: '', channel: '', department: '', granularity: 'day' };
  let report = null; // the last report shown
  let profile = null; // the signed-in staff member; null with the token
  let generation = 0; // answers to older requests are dropped
  let timer = 0;
  let lastLoad = 0;
  let showing = false; // the dashboard is on screen

  // ---------------------------------------------------------------- DOM

  const $ = (id) => document.getElementById(id);

  // el builds an element: attrs are attributes, except text (textContent);
  // children are nodes or strings (text).
  function el(tag, attrs, ...children) {
    return fill(document.createElement(tag), attrs, children);
  }

  function svg(tag, attrs, ...children) {
    return fill(document.createElementNS(SVG_NS, tag), attrs, children);
  }

  function fill(node, attrs, children) {
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) { continue; }
      if (k === 'text') { node.textContent = String(v); } else { node.setAttribute(k, String(v)); }
    }
    for (const c of children) {
      if (c === null || c === undefined || c === false) { continue; }
      node.append(typeof c === 'string' ? document.createTextNode(c) : c);
    }
    return node;
  }

  function clear(node) {
    while (node.firstChild) { node.firstChild.remove(); }
  }

  let toastTimer = 0;
  function toast(text, bad) {
    clear(ui.toasts);
    ui.toasts.append(el('p', { class: bad ? 'toast toast-bad' : 'toast', 'data-test': 'toast', text }));
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => clear(ui.toasts), 6000);
  }

  // ---------------------------------------------------------------- numbers

  const num = (v) => (typeof v === 'number' && isFinite(v) ? v : 0);
  const fmtInt = (v) => Math.round(num(v)).toLocaleString('zh-CN');
  const fmtPct = (v) => (num(v) * 100).toFixed(1) + '%';

  // fmtSeconds writes a duration the way a supervisor says it: 4.5秒,
  // 12秒, 1分5秒, 2小时3分.
  function fmtSeconds(v) {
    const s = num(v);
    if (s < 60) { return Math.round(s * 10) / 10 + '秒'; }
    const t = Math.round(s);
    if (t < 3600) { return Math.floor(t / 60) + '分' + (t % 60) + '秒'; }
    return Math.floor(t / 3600) + '小时' + Math.floor((t % 3600) / 60) + '分';
  }

  const deptName = (code) => DEPARTMENTS[code] || code;
  const channelName = (code) => CHANNELS[code] || code;
  const intentName = (code) => INTENTS[code] || code;

  // ---------------------------------------------------------------- dates

  // today is the date in the hotline's zone, as 2006-01-02.
  function today() {
    const parts = {};
    for (const p of new Intl.DateTimeFormat('en-US', { timeZone: TZ, year: 'numeric', month: '2-digit', day: '2-digit' }).formatToParts(new Date())) {
      parts[p.type] = p.value;
    }
    return parts.year + '-' + parts.month + '-' + parts.day;
  }

  function validDate(s) {
    if (typeof s !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(s)) { return false; }
    const d = new Date(s + 'T00:00:00Z');
    return !isNaN(d) && d.toISOString().slice(0, 10) === s;
  }

  function addDays(s, n) {
    const d = new Date(s + 'T00:00:00Z');
    d.setUTCDate(d.getUTCDate() + n);
    return d.toISOString().slice(0, 10);
  }

  function presetDates(range) {
    const t = today();
    switch (range) {
      case 'today': return [t, t];
      case '7d': return [addDays(t, -6), t];
      case '30d': return [addDays(t, -29), t];
      case 'month': return [t.slice(0, 8) + '01', t];
    }
    return null;
  }

  // periodLabel is a Series key as an axis shows it (short) or as a title
  // and a table say it (long).
  function periodLabel(key, long) {
    let m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(key);
    if (m) { return long ? key : m[2] + '-' + m[3]; }
    m = /^(\d{4})-W(\d{2})$/.exec(key);
    if (m) { return long ? m[1] + '年第' + Number(m[2]) + '周' : '第' + Number(m[2]) + '周'; }
    m = /^(\d{4})-(\d{2})$/.exec(key);
    if (m) { return long ? m[1] + '年' + Number(m[2]) + '月' : Number(m[2]) + '月'; }
    return String(key);
  }

  // ---------------------------------------------------------------- the view in the URL

  function viewFromURL() {
    const q = new URLSearchParams(location.search);
    const v = { range: '', from: '', to: '', channel: '', department: '', granularity: 'day' };
    const range = q.get('range');
    if (range && PRESETS[range]) {
      v.range = range;
    } else if (validDate(q.get('from')) && validDate(q.get('to')) && q.get('from') <= q.get('to')) {
      v.from = q.get('from');
      v.to = q.get('to');
    } else {
      v.range = '7d';
    }
    if (CHANNELS[q.get('channel')]) { v.channel = q.get('channel'); }
    if (/^[a-z][a-z0-9_]{0,63}$/.test(q.get('department') || '')) { v.department = q.get('department'); }
    if (GRANULARITY[q.get('granularity')]) { v.granularity = q.get('granularity'); }
    return withDates(v);
  }

  // withDates fills from and to of a preset range for today.
  function withDates(v) {
    const d = presetDates(v.range);
    return d ? Object.assign({}, v, { from: d[0], to: d[1] }) : v;
  }

  function pageQuery(v) {
    const q = new URLSearchParams();
    if (v.range) { q.set('range', v.range); } else { q.set('from', v.from); q.set('to', v.to); }
    if (v.channel) { q.set('channel', v.channel); }
    if (v.department) { q.set('department', v.department); }
    q.set('granularity', v.granularity);
    return q.toString();
  }

  // apiQuery is the stats API's query for the view, with extra first.
  function apiQuery(v, extra) {
    const q = new URLSearchParams(extra || {});
    q.set('from', v.from);
    q.set('to', v.to);
    if (v.channel) { q.set('channel', v.channel); }
    if (v.department) { q.set('department', v.department); }
    q.set('granularity', v.granularity);
    return q.toString();
  }

  function showView(v) {
    ui.from.value = v.from;
    ui.to.value = v.to;
    ui.channel.value = v.channel;
    if (v.department && ![...ui.department.options].some((o) => o.value === v.department)) {
      ui.department.append(el('option', { value: v.department, text: v.department }));
    }
    ui.department.value = v.department;
    ui.granularity.value = v.granularity;
    for (const b of ui.filters.querySelectorAll('[data-preset]')) {
      b.setAttribute('aria-pressed', String(b.dataset.preset === v.range));
    }
    for (const a of document.querySelectorAll('a.csv')) {
      const table = a.dataset.table;
      a.href = '/api/v1/stats.csv?' + apiQuery(v, { table });
      a.setAttribute('download', '12345-' + table + '-' + v.from + '_' + v.to + '.csv');
    }
  }

  // ---------------------------------------------------------------- requests

  function token() {
    try { return sessionStorage.getItem(TOKEN_KEY) || ''; } catch (e) { return ''; }
  }

  function setToken(t) {
    try {
      if (t) { sessionStorage.setItem(TOKEN_KEY, t); } else { sessionStorage.removeItem(TOKEN_KEY); }
    } catch (e) { /* storage off: the token lasts this page only */ }
    memoryToken = t || '';
  }
  let memoryToken = '';

  function request(path, opts) {
    const o = opts || {};
    const headers = Object.assign({ Accept: 'application/json' }, o.headers || {});
    const t = token() || memoryToken;
    if (t && !o.anonymous) { headers.Authorization = 'Bearer ' + t; }
    return fetch(path, { method: o.method || 'GET', credentials: 'same-origin', cache: 'no-store', headers, body: o.body });
  }

  // failure says in Chinese why a stats request failed.
  function failure(status) {
    switch (status) {
      case 400: return '查询条件有误（例如日期范围无效），请调整筛选条件后重试。';
      case 404: return '统计接口未开启或不可用，请联系系统管理员。';
      case 429: return '请求过于频繁，请稍后重试。';
      case 502: case 503: case 504: return '服务暂时不可用或正在启动，请稍后重试。';
    }
    return '数据加载失败（HTTP ' + status + '），请稍后重试。';
  }

  // ---------------------------------------------------------------- sign-in

  const supervises = (role) => role === 'supervisor' || role === 'admin';

  function showOnly(which) {
    ui.boot.hidden = true;
    ui.loginView.hidden = which !== 'login';
    ui.forbiddenView.hidden = which !== 'forbidden';
    ui.dashView.hidden = which !== 'dash';
    showing = which === 'dash';
    if (!showing) { stopRefresh(); }
  }

  function showLogin(note, withToken) {
    forget();
    showOnly('login');
    ui.loginNote.hidden = !note;
    ui.loginNote.textContent = note || '';
    ui.loginError.hidden = true;
    ui.tokenError.hidden = true;
    ui.loginSubmit.disabled = false;
    ui.loginSubmit.textContent = '登录';
    ui.password.value = '';
    ui.tokenInput.value = '';
    toggleToken(!!withToken);
    document.title = '登录 - 12345热线运行监测';
    if (withToken) { ui.tokenInput.focus(); } else { (ui.username.value ? ui.password : ui.username).focus(); }
  }

  function toggleToken(open) {
    ui.tokenForm.hidden = !open;
    ui.tokenToggle.setAttribute('aria-expanded', String(open));
    if (open) { ui.tokenInput.focus(); }
  }

  function showForbidden(text) {
    forget();
    showOnly('forbidden');
    ui.forbiddenText.textContent = text || '运行监测仅对值班长和管理员开放。如需查看，请联系管理员为您的账号开通值班长权限。';
    document.title = '无权查看 - 12345热线运行监测';
  }

  // forget drops the data on screen, so the next person to sign in at
  // this desk does not see the last one's view.
  function forget() {
    generation++;
    report = null;
    stopRefresh();
    for (const id of ['cards', 'scope', 'chart-volume', 'chart-rates', 'chart-orders', 'chart-satisfaction',
      'chart-intents', 'chart-departments', 'by-channel', 'by-department', 'misses']) {
      clear($(id));
    }
    for (const t of document.querySelectorAll('.chart-table')) { clear(t); }
    ui.content.hidden = true; // until a report is drawn
    hideError();
  }

  function loginError(text) {
    ui.loginError.textContent = text;
    ui.loginError.hidden = false;
    ui.loginSubmit.disabled = false;
    ui.loginSubmit.textContent = '登录';
  }

  function retryMinutes(h) {
    const v = String(h || '').trim();
    let secs = /^\d+$/.test(v) ? Number(v) : (Date.parse(v) - Date.now()) / 1000;
    if (!isFinite(secs) || secs <= 0) { secs = 15 * 60; }
    return Math.max(1, Math.ceil(secs / 60));
  }

  async function onLoginSubmit(e) {
    e.preventDefault();
    const username = ui.username.value.trim();
    const password = ui.password.value;
    if (!username || !password) {
      loginError(!username ? '请输入用户名。' : '请输入密码。');
      (!username ? ui.username : ui.password).focus();
      return;
    }
    ui.loginError.hidden = true;
    ui.loginSubmit.disabled = true;
    ui.loginSubmit.textContent = '正在登录…';
    let res;
    try {
      res = await request('/api/v1/login', {
        method: 'POST', anonymous: true,
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ username, password })
      });
    } catch (err) {
      loginError('网络连接异常，请检查网络后重试。');
      return;
    }
    ui.password.value = '';
    if (res.status === 200) {
      setToken('');
      let p = null;
      try { p = await res.json(); } catch (err) { /* handled below */ }
      if (!p || typeof p.username !== 'string') {
        loginError('登录服务返回了无法识别的内容，请稍后再试。');
        return;
      }
      signedIn(p);
    } else if (res.status === 401) {
      loginError('用户名或密码错误，请重新输入。');
      ui.password.focus();
    } else if (res.status === 429) {
      loginError('登录失败次数过多，账号已临时锁定，请在' + retryMinutes(res.headers.get('Retry-After')) + '分钟后再试。');
    } else if (res.status === 403) {
      loginError('登录请求被拒绝，请通过本系统的正式网址访问。');
    } else {
      loginError('登录服务暂时不可用，请稍后再试。');
    }
  }

  function onTokenSubmit(e) {
    e.preventDefault();
    const t = ui.tokenInput.value.trim();
    if (!t) {
      ui.tokenError.textContent = '请输入管理令牌。';
      ui.tokenError.hidden = false;
      ui.tokenInput.focus();
      return;
    }
    ui.tokenInput.value = '';
    setToken(t);
    profile = null;
    showDashboard();
  }

  function signedIn(p) {
    profile = { username: String(p.username), name: String(p.name || p.username), role: String(p.role || 'agent') };
    if (!supervises(profile.role)) {
      showForbidden('您的账号（' + profile.name + '，' + (ROLES[profile.role] || profile.role) + '）无权查看运行监测。运行监测仅对值班长和管理员开放，如需查看请联系管理员。');
      return;
    }
    showDashboard();
  }

  // unauthorized is reached when the API no longer accepts the session
  // or the token.
  function unauthorized() {
    if (token() || memoryToken) {
      setToken('');
      showLogin('', true);
      ui.tokenError.textContent = '管理令牌无效或已更换，请检查后重新输入。';
      ui.tokenError.hidden = false;
    } else {
      showLogin(profile ? '登录已过期，请重新登录。' : '');
    }
  }

  async function logout() {
    const withToken = !!(token() || memoryToken);
    setToken('');
    profile = null;
    forget();
    if (!withToken) {
      try { await request('/api/v1/logout', { method: 'POST', anonymous: true }); } catch (err) { /* signed out here anyway */ }
    }
    showLogin('您已安全退出。');
  }

  // start decides what to show first: the dashboard with a token or a
  // supervisor's session, else the sign-in form.
  async function start() {
    if (token()) {
      showDashboard();
      return;
    }
    let res;
    try {
      res = await request('/api/v1/me', { anonymous: true });
    } catch (err) {
      showLogin('网络连接异常，请检查网络后刷新页面。');
      return;
    }
    if (res.status === 200) {
      try {
        signedIn(await res.json());
      } catch (err) {
        showLogin('登录状态无法确认，请重新登录。');
      }
      return;
    }
    showLogin(res.status === 401 ? '' : '登录服务暂时不可用（HTTP ' + res.status + '），请稍后再试。');
  }

  // ---------------------------------------------------------------- loading

  function showDashboard() {
    showOnly('dash');
    ui.who.textContent = profile ? profile.name + '（' + (ROLES[profile.role] || profile.role) + '）' : '管理令牌';
    document.title = '12345热线运行监测';
    view = withDates(view);
    showView(view);
    load();
  }

  async function load() {
    stopRefresh();
    const my = ++generation;
    const v = view = withDates(view); // a preset range moves with the day
    showView(v);
    ui.content.setAttribute('aria-busy', 'true');
    ui.refresh.disabled = true;
    if (!report) { ui.updated.textContent = '正在加载数据…'; }
    let res;
    try {
      res = await request('/api/v1/stats?' + apiQuery(v));
    } catch (err) {
      if (my === generation) { failed('网络连接异常，无法连接服务器。'); }
      return;
    }
    if (my !== generation) { return; }
    if (res.status === 401) { unauthorized(); return; }
    if (res.status === 403) { showForbidden(); return; }
    if (res.status !== 200) { failed(failure(res.status)); return; }
    let r;
    try {
      r = await res.json();
    } catch (err) {
      if (my === generation) { failed('服务器返回的数据无法识别，请稍后重试。'); }
      return;
    }
    if (my !== generation) { return; }
    try {
      render(r);
    } catch (err) {
      failed('数据格式异常，无法显示，请联系系统管理员。');
      throw err;
    }
    report = r;
    ui.content.hidden = false;
    lastLoad = Date.now();
    hideError();
    done();
  }

  function done() {
    ui.content.setAttribute('aria-busy', 'false');
    ui.refresh.disabled = false;
    schedule(REFRESH_MS);
  }

  function failed(text) {
    if (!report) { ui.updated.textContent = ''; }
    ui.loadErrorText.textContent = '数据加载失败：' + text + (report ? '（下方仍显示上次成功加载的数据）' : '');
    ui.loadError.hidden = false;
    done();
  }

  function hideError() {
    ui.loadError.hidden = true;
    ui.loadErrorText.textContent = '';
  }

  function schedule(ms) {
    stopRefresh();
    if (showing && !document.hidden) { timer = setTimeout(load, ms); }
  }

  function stopRefresh() {
    clearTimeout(timer);
    timer = 0;
  }

  function onVisibility() {
    if (!showing) { return; }
    if (document.hidden) {
      stopRefresh();
      return;
    }
    const age = Date.now() - lastLoad;
    if (age >= REFRESH_MS) { load(); } else { schedule(REFRESH_MS - age); }
  }

  // ---------------------------------------------------------------- filters

  function readFilters(range) {
    const v = {
      range: range || '',
      from: ui.from.value, to: ui.to.value,
      channel: ui.channel.value, department: ui.department.value, granularity: ui.granularity.value
    };
    if (range) { return withDates(v); }
    // Submitting a preset's dates unchanged keeps the preset, so the view
    // goes on moving with the day.
    const d = presetDates(view.range);
    if (d && d[0] === v.from && d[1] === v.to) { v.range = view.range; }
    return v;
  }

  function apply(range) {
    const v = readFilters(range);
    let problem = '';
    if (!validDate(v.from) || !validDate(v.to)) {
      problem = '请填写完整的开始日期和结束日期。';
    } else if (v.from > v.to) {
      problem = '开始日期不能晚于结束日期。';
    }
    ui.filterError.textContent = problem;
    ui.filterError.hidden = !problem;
    if (problem) { return; }
    view = v;
    const q = '?' + pageQuery(v);
    if (q !== location.search) { history.pushState(null, '', q); }
    showView(v);
    load();
  }

  // ---------------------------------------------------------------- CSV

  async function download(a) {
    let res;
    try {
      res = await request(a.href, { headers: { Accept: 'text/csv' } });
    } catch (err) {
      toast('网络连接异常，导出失败，请稍后重试。', true);
      return;
    }
    if (res.status === 401) { unauthorized(); return; }
    if (res.status === 403) { showForbidden(); return; }
    if (res.status !== 200) {
      toast('导出失败：' + failure(res.status), true);
      return;
    }
    const blob = await res.blob();
    const url = URL.createObjectURL(blob);
    const name = a.getAttribute('download') || 'stats.csv';
    const tmp = el('a', { href: url, download: name, hidden: '' });
    document.body.append(tmp);
    tmp.click();
    tmp.remove();
    setTimeout(() => URL.revokeObjectURL(url), 30000);
    toast('已导出 ' + name);
  }

  // ---------------------------------------------------------------- rendering

  function render(r) {
    if (!r || typeof r !== 'object' || !r.totals) { throw new Error('no totals in the report'); }
    const series = Array.isArray(r.series) ? r.series : [];
    renderScope(r);
    renderCards(r.totals);
    renderVolume(series);
    renderRates(series);
    renderOrders(series);
    renderSatisfaction(r.totals);
    renderTop(ui.chartIntents, 'chart-intents', '诉求类型排行', r.top_intents, intentName, '市民消息数');
    renderTop(ui.chartDepartments, 'chart-departments', '涉及部门排行', r.top_departments, deptName, '市民消息数');
    renderBreakdown(ui.byChannel, '分渠道统计', '渠道', r.by_channel, channelName);
    renderBreakdown(ui.byDepartment, '分部门统计', '部门', r.by_department, deptName);
    renderMisses(r.top_misses);
  }

  function renderScope(r) {
    const parts = [
      r.from === r.to ? String(r.from) : r.from + ' 至 ' + r.to,
      r.channel ? channelName(r.channel) : '全部渠道',
      r.department ? deptName(r.department) : '全部部门',
      GRANULARITY[r.granularity] || r.granularity
    ];
    ui.scope.textContent = '统计范围：' + parts.join(' · ');
    const at = r.generated ? new Date(r.generated) : new Date();
    const time = isNaN(at) ? '' : at.toLocaleTimeString('zh-CN', { timeZone: TZ, hour12: false });
    ui.updated.textContent = time ? '数据更新于 ' + time + '，每60秒自动刷新' : '';
  }

  // The headline cards: what each shows of stats.Figures. A rate whose
  // denominator is 0 shows "—": nothing to measure is not 0%.
  const CARDS = [
    { key: 'conversations', label: '会话量', value: (f) => fmtInt(f.conversations), note: () => '市民发起的会话' },
    { key: 'messages', label: '消息量', value: (f) => fmtInt(f.messages), note: () => '市民发送的消息' },
    { key: 'bot_answer_rate', label: '机器人直接解答率', value: (f) => rate(f.bot_answer_rate, f.conversations), note: (f) => fmtInt(f.bot_answered) + '个会话由机器人解答' },
    { key: 'handoff_rate', label: '转人工率', value: (f) => rate(f.handoff_rate, f.conversations), note: (f) => '转人工' + fmtInt(f.handoffs) + '次' },
    { key: 'answer_rate', label: '人工接通率', value: (f) => rate(f.answer_rate, f.handoffs), note: (f) => '接通' + fmtInt(f.accepted) + '次 / 转人工' + fmtInt(f.handoffs) + '次' },
    { key: 'accepted_in_15s_rate', label: '15秒接通率', value: (f) => rate(f.accepted_in_15s_rate, f.handoffs), note: (f) => '15秒内接通' + fmtInt(f.accepted_in_15s) + '次' },
    { key: 'wait', label: '排队等待 P50 / P90', value: (f) => (num(f.accepted) ? fmtSeconds(f.wait_p50) + ' / ' + fmtSeconds(f.wait_p90) : '—'), note: () => '已接通会话的排队时长' },
    { key: 'abandonment_rate', label: '放弃率', value: (f) => rate(f.abandonment_rate, f.handoffs), note: (f) => '排队中放弃' + fmtInt(f.abandoned) + '次', warn: (f) => num(f.abandonment_rate) >= 0.1 },
    { key: 'first_response', label: '首次响应 P50', value: (f) => (num(f.accepted) ? fmtSeconds(f.first_response_p50) : '—'), note: (f) => (num(f.accepted) ? 'P90 ' + fmtSeconds(f.first_response_p90) : '暂无人工会话') },
    { key: 'orders', label: '工单 新建 / 办结 / 超期', value: (f) => fmtInt(f.orders_created) + ' / ' + fmtInt(f.orders_finished) + ' / ' + fmtInt(f.orders_overdue), note: (f) => (num(f.orders_overdue) ? '有超期未办结工单，请督办' : '无超期工单'), warn: (f) => num(f.orders_overdue) > 0 },
    { key: 'satisfaction_rate', label: '满意率', value: (f) => rate(f.satisfaction_rate, f.rated), note: (f) => '共' + fmtInt(f.rated) + '条评价' }
  ];

  function rate(v, denominator) {
    return num(denominator) ? fmtPct(v) : '—';
  }

  function renderCards(f) {
    clear(ui.cards);
    for (const c of CARDS) {
      const warn = c.warn ? c.warn(f) : false;
      ui.cards.append(el('div', { class: warn ? 'card card-warn' : 'card', 'data-test': 'card', 'data-key': c.key },
        el('p', { class: 'card-label', text: c.label }),
        el('p', { class: 'card-value', 'data-test': 'card-value', text: c.value(f) }),
        el('p', { class: 'card-note', text: c.note(f) })));
    }
  }

  // ---------------------------------------------------------------- charts

  const W = 640; // every chart's viewBox width; it scales to its box
  const PAD = { left: 52, right: 16, top: 18, bottom: 40 };

  // scale rounds max up to a readable axis: 4 to 5 steps of 1, 2 or 5
  // times a power of ten, whole numbers for counts.
  function scale(max, whole) {
    if (!(max > 0)) { max = whole ? 4 : 1; }
    const raw = max / 4;
    const mag = Math.pow(10, Math.floor(Math.log10(raw)));
    const n = raw / mag;
    let step = (n <= 1 ? 1 : n <= 2 ? 2 : n <= 5 ? 5 : 10) * mag;
    if (whole) { step = Math.max(1, Math.round(step)); }
    return { max: Math.ceil(max / step - 1e-9) * step, step };
  }

  // chartFrame is an SVG with a title and a description (its text
  // alternative) and the horizontal grid of a value axis.
  function chartFrame(id, title, desc, height) {
    const root = svg('svg', {
      viewBox: '0 0 ' + W + ' ' + height, class: 'chart-svg', role: 'img',
      'aria-labelledby': id + '-svg-title ' + id + '-svg-desc', preserveAspectRatio: 'xMidYMid meet'
    });
    root.append(svg('title', { id: id + '-svg-title', text: title }), svg('desc', { id: id + '-svg-desc', text: desc }));
    return root;
  }

  function yAxis(root, height, sc, fmt) {
    const plotH = height - PAD.top - PAD.bottom;
    const g = svg('g', { class: 'axis', 'aria-hidden': 'true' });
    for (let v = 0; v <= sc.max + 1e-9; v += sc.step) {
      const y = PAD.top + plotH - (v / sc.max) * plotH;
      g.append(svg('line', { x1: PAD.left, x2: W - PAD.right, y1: y, y2: y, class: v === 0 ? 'axis-base' : 'grid' }));
      g.append(svg('text', { x: PAD.left - 6, y: y + 4, class: 'tick tick-y', text: fmt(v) }));
    }
    root.append(g);
  }

  function xLabels(root, height, keys, slot) {
    const g = svg('g', { class: 'axis', 'aria-hidden': 'true' });
    const every = Math.max(1, Math.ceil(keys.length / 12));
    keys.forEach((k, i) => {
      if (i % every !== 0) { return; }
      g.append(svg('text', { x: slot(i), y: height - PAD.bottom + 18, class: 'tick tick-x', text: periodLabel(k, false) }));
    });
    root.append(g);
  }

  function legend(items) {
    return el('ul', { class: 'legend', 'aria-hidden': 'true' },
      ...items.map((s) => el('li', {}, el('span', { class: 'swatch ' + s.cls }), s.name)));
  }

  // columns draws grouped vertical bars per period: one bar per series in
  // each period, zero-height when the value is 0.
  function columns(id, title, keys, series, height) {
    const plotW = W - PAD.left - PAD.right;
    const plotH = height - PAD.top - PAD.bottom;
    let max = 0;
    for (const s of series) { for (const v of s.values) { max = Math.max(max, v); } }
    const sc = scale(max, true);
    const slotW = plotW / Math.max(1, keys.length);
    const barW = Math.min(28, (slotW * 0.78) / series.length);
    const totals = series.map((s) => s.name + '合计' + fmtInt(s.values.reduce((a, b) => a + b, 0)));
    const desc = '柱状图，' + keys.length + '个统计周期（' + (keys.length ? periodLabel(keys[0], true) + '至' + periodLabel(keys[keys.length - 1], true) : '无') + '）；' + totals.join('，') + '。详细数字见数据表。';
    const root = chartFrame(id, title, desc, height);
    yAxis(root, height, sc, (v) => fmtInt(v));
    const slot = (i) => PAD.left + slotW * i + slotW / 2;
    const g = svg('g', { class: 'bars' });
    keys.forEach((k, i) => {
      const x0 = slot(i) - (barW * series.length) / 2;
      series.forEach((s, j) => {
        const v = s.values[i];
        const h = (v / sc.max) * plotH;
        g.append(svg('rect', {
          x: (x0 + j * barW + 1).toFixed(2), y: (PAD.top + plotH - h).toFixed(2),
          width: Math.max(1, barW - 2).toFixed(2), height: h.toFixed(2),
          class: 'bar ' + s.cls, 'data-test': 'bar', 'data-series': s.key, 'data-key': k, 'data-value': v
        }, svg('title', { text: periodLabel(k, true) + ' ' + s.name + '：' + fmtInt(v) })));
      });
    });
    root.append(g);
    xLabels(root, height, keys, slot);
    return root;
  }

  // lines draws rates (0..1) per period as lines with a point per period.
  function lines(id, title, keys, series, height) {
    const plotW = W - PAD.left - PAD.right;
    const plotH = height - PAD.top - PAD.bottom;
    const sc = { max: 1, step: 0.25 };
    const slotW = plotW / Math.max(1, keys.length);
    const slot = (i) => PAD.left + slotW * i + slotW / 2;
    const avg = series.map((s) => s.name + (s.overall === null ? '无数据' : fmtPct(s.overall)));
    const desc = '折线图，' + keys.length + '个统计周期；全期' + avg.join('，') + '。详细数字见数据表。';
    const root = chartFrame(id, title, desc, height);
    yAxis(root, height, sc, (v) => Math.round(v * 100) + '%');
    for (const s of series) {
      const g = svg('g', { class: 'line-series ' + s.cls, 'data-series': s.key });
      const pts = s.values.map((v, i) => [slot(i), PAD.top + plotH - v * plotH]);
      if (pts.length > 1) {
        g.append(svg('polyline', { class: 'line', points: pts.map((p) => p[0].toFixed(2) + ',' + p[1].toFixed(2)).join(' ') }));
      }
      pts.forEach((p, i) => {
        g.append(svg('circle', {
          cx: p[0].toFixed(2), cy: p[1].toFixed(2), r: keys.length > 40 ? 2 : 3.5, class: 'point',
          'data-test': 'point', 'data-series': s.key, 'data-key': keys[i], 'data-value': s.values[i]
        }, svg('title', { text: periodLabel(keys[i], true) + ' ' + s.name + '：' + fmtPct(s.values[i]) })));
      });
      root.append(g);
    }
    xLabels(root, height, keys, slot);
    return root;
  }

  // bars draws labelled horizontal bars, most first.
  function bars(id, title, items, unit) {
    const rowH = 26;
    const labelW = 120;
    const height = Math.max(1, items.length) * rowH + 16;
    const max = items.reduce((m, it) => Math.max(m, it.value), 0) || 1;
    const plotW = W - labelW - 70;
    const desc = items.length
      ? '条形图，共' + items.length + '项（' + unit + '）：' + items.slice(0, 5).map((it) => it.label + ' ' + fmtInt(it.value)).join('，') + (items.length > 5 ? '等' : '') + '。'
      : '暂无数据。';
    const root = chartFrame(id, title, desc, height);
    if (!items.length) {
      root.append(svg('text', { x: W / 2, y: height / 2 + 5, class: 'empty-note', text: '所选范围内暂无数据' }));
      return root;
    }
    items.forEach((it, i) => {
      const y = 8 + i * rowH;
      const w = (it.value / max) * plotW;
      root.append(svg('text', { x: labelW - 8, y: y + rowH / 2 + 4, class: 'tick tick-y', 'aria-hidden': 'true', text: it.label }));
      root.append(svg('rect', {
        x: labelW, y: y + 4, width: Math.max(0, w).toFixed(2), height: rowH - 8, class: 'bar hbar',
        'data-test': 'bar', 'data-key': it.key, 'data-value': it.value
      }, svg('title', { text: it.label + '：' + fmtInt(it.value) })));
      root.append(svg('text', { x: labelW + w + 6, y: y + rowH / 2 + 4, class: 'bar-value', 'aria-hidden': 'true', text: fmtInt(it.value) }));
    });
    return root;
  }

  // dataTable is the text alternative of a chart: every number drawn.
  function dataTable(caption, head, rows) {
    return el('table', { class: 'data' },
      el('caption', { class: 'sr', text: caption }),
      el('thead', {}, el('tr', {}, ...head.map((h, i) => el('th', { scope: 'col', class: i ? 'num' : '', text: h })))),
      el('tbody', {}, ...rows.map((r) => el('tr', {}, ...r.map((c, i) => (i ? el('td', { class: 'num', text: c }) : el('th', { scope: 'row', text: c })))))));
  }

  function put(container, chart, legendItems, table) {
    clear(container);
    if (legendItems) { container.append(legend(legendItems)); }
    container.append(chart);
    const t = $(container.id + '-table');
    clear(t);
    t.append(table);
  }

  function renderVolume(series) {
    const keys = series.map((r) => r.key);
    const s = [
      { key: 'conversations', name: '会话量', cls: 's1', values: series.map((r) => num(r.conversations)) },
      { key: 'messages', name: '消息量', cls: 's2', values: series.map((r) => num(r.messages)) }
    ];
    put(ui.chartVolume, columns('chart-volume', '咨询量趋势：每期会话量和消息量', keys, s, 260), s,
      dataTable('咨询量趋势', ['周期', '会话量', '消息量'], series.map((r) => [periodLabel(r.key, true), fmtInt(r.conversations), fmtInt(r.messages)])));
  }

  function renderRates(series) {
    const keys = series.map((r) => r.key);
    const s = [
      { key: 'bot_answer_rate', name: '机器人直接解答率', cls: 's1', values: series.map((r) => num(r.bot_answer_rate)) },
      { key: 'handoff_rate', name: '转人工率', cls: 's3', values: series.map((r) => num(r.handoff_rate)) },
      { key: 'answer_rate', name: '人工接通率', cls: 's2', values: series.map((r) => num(r.answer_rate)) }
    ];
    const all = (f, d) => series.reduce((a, r) => a + num(r[f]) * num(r[d]), 0);
    const den = (d) => series.reduce((a, r) => a + num(r[d]), 0);
    s[0].overall = den('conversations') ? all('bot_answer_rate', 'conversations') / den('conversations') : null;
    s[1].overall = den('conversations') ? all('handoff_rate', 'conversations') / den('conversations') : null;
    s[2].overall = den('handoffs') ? all('answer_rate', 'handoffs') / den('handoffs') : null;
    put(ui.chartRates, lines('chart-rates', '解答率与接通率趋势：每期机器人直接解答率、转人工率、人工接通率', keys, s, 260), s,
      dataTable('解答率与接通率趋势', ['周期', '机器人直接解答率', '转人工率', '人工接通率'],
        series.map((r) => [periodLabel(r.key, true), fmtPct(r.bot_answer_rate), fmtPct(r.handoff_rate), fmtPct(r.answer_rate)])));
  }

  function renderOrders(series) {
    const keys = series.map((r) => r.key);
    const s = [
      { key: 'orders_created', name: '新建工单', cls: 's1', values: series.map((r) => num(r.orders_created)) },
      { key: 'orders_finished', name: '办结工单', cls: 's2', values: series.map((r) => num(r.orders_finished)) }
    ];
    put(ui.chartOrders, columns('chart-orders', '工单新建与办结：每期新建和办结的工单数', keys, s, 260), s,
      dataTable('工单新建与办结', ['周期', '新建', '办结', '期末超期'],
        series.map((r) => [periodLabel(r.key, true), fmtInt(r.orders_created), fmtInt(r.orders_finished), fmtInt(r.orders_overdue)])));
  }

  function renderSatisfaction(f) {
    const counts = [0, 1, 2, 3].map((i) => num(Array.isArray(f.satisfaction) ? f.satisfaction[i] : 0));
    const total = counts.reduce((a, b) => a + b, 0);
    const height = 240;
    const plotW = W - PAD.left - PAD.right;
    const plotH = height - PAD.top - PAD.bottom;
    const sc = scale(Math.max(...counts), true);
    const share = (n) => (total ? ' (' + ((n / total) * 100).toFixed(1) + '%)' : '');
    const desc = '柱状图，共' + fmtInt(total) + '条评价：' + SATISFACTION.map((l, i) => l + fmtInt(counts[i]) + '条' + share(counts[i])).join('，') + '；满意率' + rate(f.satisfaction_rate, f.rated) + '。';
    const root = chartFrame('chart-satisfaction', '满意度分布：不满意、基本满意、满意、非常满意各多少条评价', desc, height);
    yAxis(root, height, sc, (v) => fmtInt(v));
    const slotW = plotW / 4;
    const slot = (i) => PAD.left + slotW * i + slotW / 2;
    const barW = Math.min(72, slotW * 0.6);
    counts.forEach((n, i) => {
      const h = (n / sc.max) * plotH;
      const y = PAD.top + plotH - h;
      root.append(svg('rect', {
        x: (slot(i) - barW / 2).toFixed(2), y: y.toFixed(2), width: barW.toFixed(2), height: h.toFixed(2),
        class: 'bar sat' + i, 'data-test': 'bar', 'data-key': SATISFACTION[i], 'data-value': n
      }, svg('title', { text: SATISFACTION[i] + '：' + fmtInt(n) + '条' + share(n) })));
      root.append(svg('text', { x: slot(i), y: (y - 6).toFixed(2), class: 'bar-value bar-value-top', 'aria-hidden': 'true', text: fmtInt(n) + share(n) }));
      root.append(svg('text', { x: slot(i), y: height - PAD.bottom + 18, class: 'tick tick-x', 'aria-hidden': 'true', text: SATISFACTION[i] }));
    });
    put(ui.chartSatisfaction, root, null,
      dataTable('满意度分布', ['评价', '条数', '占比'], SATISFACTION.map((l, i) => [l, fmtInt(counts[i]), total ? ((counts[i] / total) * 100).toFixed(1) + '%' : '—'])));
  }

  function renderTop(container, id, title, list, name, unit) {
    const items = (Array.isArray(list) ? list : []).map((c) => ({ key: String(c.key), label: name(String(c.key)), value: num(c.count) }));
    put(container, bars(id, title + '（' + unit + '）', items, unit), null,
      dataTable(title, ['名称', unit], items.map((it) => [it.label, fmtInt(it.value)])));
  }

  // ---------------------------------------------------------------- tables

  // BREAKDOWN are the columns of the per-channel and per-department tables.
  const BREAKDOWN = [
    ['会话量', (f) => fmtInt(f.conversations)],
    ['消息量', (f) => fmtInt(f.messages)],
    ['机器人直接解答率', (f) => rate(f.bot_answer_rate, f.conversations)],
    ['转人工', (f) => fmtInt(f.handoffs)],
    ['转人工率', (f) => rate(f.handoff_rate, f.conversations)],
    ['人工接通率', (f) => rate(f.answer_rate, f.handoffs)],
    ['15秒接通率', (f) => rate(f.accepted_in_15s_rate, f.handoffs)],
    ['等待P50', (f) => (num(f.accepted) ? fmtSeconds(f.wait_p50) : '—')],
    ['放弃率', (f) => rate(f.abandonment_rate, f.handoffs)],
    ['首次响应P50', (f) => (num(f.accepted) ? fmtSeconds(f.first_response_p50) : '—')],
    ['工单新建', (f) => fmtInt(f.orders_created)],
    ['工单办结', (f) => fmtInt(f.orders_finished)],
    ['超期', (f) => fmtInt(f.orders_overdue)],
    ['满意率（评价数）', (f) => rate(f.satisfaction_rate, f.rated) + '（' + fmtInt(f.rated) + '）']
  ];

  function renderBreakdown(container, caption, first, rows, name) {
    clear(container);
    const list = Array.isArray(rows) ? rows : [];
    if (!list.length) {
      container.append(el('p', { class: 'empty', text: '所选范围内暂无数据。' }));
      return;
    }
    container.append(el('table', { class: 'data' },
      el('caption', { class: 'sr', text: caption }),
      el('thead', {}, el('tr', {}, el('th', { scope: 'col', text: first }), ...BREAKDOWN.map((c) => el('th', { scope: 'col', class: 'num', text: c[0] })))),
      el('tbody', {}, ...list.map((r) => el('tr', { 'data-test': 'row', 'data-key': String(r.key) },
        el('th', { scope: 'row' }, name(String(r.key)), name(String(r.key)) !== String(r.key) ? el('span', { class: 'code', text: String(r.key) }) : null),
        ...BREAKDOWN.map((c) => el('td', { class: 'num', text: c[1](r) })))))));
  }

  function renderMisses(rows) {
    clear(ui.misses);
    const list = Array.isArray(rows) ? rows : [];
    if (!list.length) {
      ui.misses.append(el('p', { class: 'empty', text: '暂无知识库未解答的问题。' }));
      return;
    }
    ui.misses.append(el('table', { class: 'data' },
      el('caption', { class: 'sr', text: '知识库未解答问题' }),
      el('thead', {}, el('tr', {},
        el('th', { scope: 'col', class: 'num', text: '序号' }),
        el('th', { scope: 'col', text: '市民问题（已隐去个人信息）' }),
        el('th', { scope: 'col', text: '结果' }),
        el('th', { scope: 'col', class: 'num', text: '次数' }))),
      el('tbody', {}, ...list.map((m, i) => el('tr', { 'data-test': 'row' },
        el('td', { class: 'num', text: String(i + 1) }),
        el('td', { class: 'query', text: String(m.query) }),
        el('td', { text: DECISIONS[m.decision] || String(m.decision) }),
        el('td', { class: 'num', text: fmtInt(m.count) }))))));
  }

  // ---------------------------------------------------------------- start

  function bind() {
    const ids = {
      boot: 'boot', loginView: 'login-view', loginForm: 'login-form', loginNote: 'login-note',
      username: 'login-username', password: 'login-password', loginError: 'login-error', loginSubmit: 'login-submit',
      tokenToggle: 'token-toggle', tokenForm: 'token-form', tokenInput: 'token-input', tokenError: 'token-error',
      forbiddenView: 'forbidden-view', forbiddenText: 'forbidden-text', forbiddenLogout: 'forbidden-logout',
      dashView: 'dash-view', updated: 'updated', who: 'who', refresh: 'refresh', logout: 'logout',
      filters: 'filters', from: 'f-from', to: 'f-to', channel: 'f-channel', department: 'f-department',
      granularity: 'f-granularity', filterError: 'filter-error', loadError: 'load-error', loadErrorText: 'load-error-text',
      retry: 'retry', content: 'content', scope: 'scope', cards: 'cards', chartVolume: 'chart-volume',
      chartRates: 'chart-rates', chartOrders: 'chart-orders', chartSatisfaction: 'chart-satisfaction',
      chartIntents: 'chart-intents', chartDepartments: 'chart-departments', byChannel: 'by-channel',
      byDepartment: 'by-department', misses: 'misses', toasts: 'toasts'
    };
    for (const [k, id] of Object.entries(ids)) { ui[k] = $(id); }

    ui.channel.append(el('option', { value: '', text: '全部渠道' }),
      ...Object.entries(CHANNELS).map(([code, name]) => el('option', { value: code, text: name })));
    ui.department.append(el('option', { value: '', text: '全部部门' }),
      ...Object.entries(DEPARTMENTS).map(([code, name]) => el('option', { value: code, text: name })));

    ui.loginForm.addEventListener('submit', onLoginSubmit);
    ui.tokenForm.addEventListener('submit', onTokenSubmit);
    ui.tokenToggle.addEventListener('click', () => toggleToken(ui.tokenForm.hidden));
    ui.logout.addEventListener('click', logout);
    ui.forbiddenLogout.addEventListener('click', logout);
    ui.refresh.addEventListener('click', () => load());
    ui.retry.addEventListener('click', () => load());

    ui.filters.addEventListener('submit', (e) => {
      e.preventDefault();
      apply('');
    });
    for (const b of ui.filters.querySelectorAll('[data-preset]')) {
      b.addEventListener('click', () => apply(b.dataset.preset));
    }
    for (const s of [ui.channel, ui.department, ui.granularity]) {
      s.addEventListener('change', () => apply(view.range));
    }
    for (const d of [ui.from, ui.to]) {
      d.addEventListener('change', () => {
        if (validDate(ui.from.value) && validDate(ui.to.value)) { apply(''); }
      });
    }
    window.addEventListener('popstate', () => {
      view = viewFromURL();
      if (showing) { load(); }
    });
    document.addEventListener('visibilitychange', onVisibility);

    document.addEventListener('click', (e) => {
      const a = e.target instanceof Element ? e.target.closest('a.csv') : null;
      if (a && e.button === 0 && !e.ctrlKey && !e.metaKey && !e.shiftKey && !e.altKey) {
        e.preventDefault();
        download(a);
        return;
      }
      const b = e.target instanceof Element ? e.target.closest('.table-toggle') : null;
      if (b) {
        const t = $(b.getAttribute('aria-controls'));
        t.hidden = !t.hidden;
        b.setAttribute('aria-expanded', String(!t.hidden));
        b.textContent = t.hidden ? '显示数据表' : '隐藏数据表';
      }
    });
  }

  bind();
  view = viewFromURL();
  showView(view);
  start();
})();
