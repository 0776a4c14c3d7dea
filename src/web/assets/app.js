// pg_jobs_web: the dashboard page. Plain JavaScript, no build step.
// Everything shown comes from the JSON API, which runs as the signed-in
// PostgreSQL role; text is always inserted as text, never as HTML.
'use strict';

const state = { session: null, view: null, refreshTimer: null, source: null, live: {} };

// --- Little helpers -------------------------------------------------------------

function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith('on')) el.addEventListener(key.slice(2), value);
    else if (key === 'class') el.className = value;
    else if (value === true) el.setAttribute(key, '');
    else el.setAttribute(key, value);
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

// Replaces an element's children (null and false are left out, arrays flattened).
function put(el, ...children) {
  el.replaceChildren(...children.flat(Infinity).filter((c) => c !== null && c !== undefined && c !== false));
}

function svg(tag, attrs, ...children) {
  const el = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [key, value] of Object.entries(attrs || {})) el.setAttribute(key, value);
  for (const child of children.flat(Infinity)) if (child) el.append(child);
  return el;
}

const STATUS = {
  succeeded: ['✓', 'succeeded'], failed: ['✕', 'failed'], timed_out: ['◑', 'timed out'],
  crashed: ['⚠', 'crashed'], cancelled: ['⊘', 'cancelled'], skipped: ['↷', 'skipped'],
  running: ['▶', 'running'], queued: ['○', 'queued'], disabled: ['‖', 'disabled'], never: ['–', 'never run'],
};

function badge(status) {
  const [icon, text] = STATUS[status] || ['?', status];
  return h('span', { class: 'badge s-' + status, 'data-status': status },
    h('span', { class: 'icon', 'aria-hidden': 'true' }, icon), text);
}

function when(iso) {
  if (!iso) return '—';
  const t = new Date(iso);
  const seconds = Math.round((t - Date.now()) / 1000);
  const abs = Math.abs(seconds);
  let text;
  if (abs < 60) text = abs + ' s';
  else if (abs < 3600) text = Math.round(abs / 60) + ' min';
  else if (abs < 86400) text = (abs / 3600).toFixed(1).replace(/\.0$/, '') + ' h';
  else text = (abs / 86400).toFixed(1).replace(/\.0$/, '') + ' d';
  return h('time', { datetime: iso, title: t.toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC') },
    seconds >= 0 ? 'in ' + text : text + ' ago');
}

function ms(value) {
  if (value === null || value === undefined) return '—';
  if (value < 1000) return value + ' ms';
  if (value < 60000) return (value / 1000).toFixed(1) + ' s';
  return (value / 60000).toFixed(1) + ' min';
}

function rate(ok, failed) {
  const total = (ok || 0) + (failed || 0);
  if (!total) return '—';
  return Math.round((100 * ok) / total) + ' %';
}

function sparkline(recent) {
  if (!recent || !recent.length) return h('span', { class: 'muted' }, '—');
  const w = 90, hgt = 22, max = Math.max(...recent.map((r) => r.ms), 1);
  const step = Math.min(8, w / Math.max(recent.length, 1));
  const bars = recent.map((r, i) => {
    const bh = Math.max(2, (r.ms / max) * (hgt - 2));
    return svg('rect', { x: (i * step).toFixed(1), y: (hgt - bh).toFixed(1), width: Math.max(1, step - 1).toFixed(1),
      height: bh.toFixed(1), class: 'bar s-' + r.s });
  });
  const el = svg('svg', { width: w, height: hgt, viewBox: `0 0 ${w} ${hgt}`, class: 'spark', role: 'img',
    'aria-label': `durations of the last ${recent.length} runs, longest ${ms(max)}` }, bars);
  return el;
}

function qs(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== '' && v !== null && v !== undefined) q.set(k, v);
  return q.toString();
}

class ApiError extends Error {
  constructor(status, body) {
    super((body && body.error) || 'HTTP ' + status);
    this.status = status;
    this.body = body || {};
  }
}

async function api(path, params) {
  const res = await fetch('/api/' + path + (params ? '?' + qs(params) : ''), { credentials: 'same-origin' });
  return handle(res);
}

async function post(path, params) {
  const res = await fetch('/api/' + path, {
    method: 'POST', credentials: 'same-origin',
    headers: { 'X-CSRF-Token': state.session ? state.session.csrf_token : '',
      'Content-Type': 'application/x-www-form-urlencoded' },
    body: qs(params || {}),
  });
  return handle(res);
}

async function handle(res) {
  let body = null;
  try { body = await res.json(); } catch (e) { body = null; }
  if (res.status === 401 && state.session) {
    state.session = null;
    showLogin('Your session ended: sign in again.');
  }
  if (!res.ok) throw new ApiError(res.status, body);
  return body;
}

function errorBox(err) {
  const body = err.body || {};
  return h('div', { class: 'error', role: 'alert' },
    h('strong', {}, body.error || err.message),
    body.sqlstate ? h('span', { class: 'sqlstate' }, ' SQLSTATE ' + body.sqlstate) : null,
    body.detail ? h('pre', { class: 'detail' }, body.detail) : null,
    body.hint ? h('p', { class: 'hint' }, 'Hint: ' + body.hint) : null);
}

function banner(text, kind) {
  const el = document.getElementById('banner');
  el.hidden = !text;
  el.textContent = text || '';
  el.className = 'banner ' + (kind || '');
}

function toast(text) {
  banner(text, 'ok');
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => banner(''), 4000);
}

function serverNames() {
  return state.session ? state.session.servers.filter((s) => s.signed_in).map((s) => s.name) : [];
}

function multi() { return serverNames().length > 1; }

// --- Sign-in --------------------------------------------------------------------

function showLogin(message) {
  stopLive();
  document.getElementById('top').hidden = true;
  const main = document.getElementById('main');
  const error = h('p', { class: 'error', id: 'login-error', role: 'alert', hidden: !message }, message || '');
  const form = h('form', { class: 'login', id: 'login-form', autocomplete: 'on' },
    h('h1', {}, 'pg_jobs'),
    h('p', { class: 'muted' }, 'Sign in with your PostgreSQL role and password. You see and may do what PostgreSQL allows that role.'),
    h('label', { for: 'role' }, 'Role'),
    h('input', { id: 'role', name: 'role', autocomplete: 'username', required: true, autofocus: true }),
    h('label', { for: 'password' }, 'Password'),
    h('input', { id: 'password', name: 'password', type: 'password', autocomplete: 'current-password', required: true }),
    h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'read_only', id: 'read_only' }), ' Read-only session'),
    error,
    h('button', { type: 'submit', class: 'primary', id: 'signin' }, 'Sign in'));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const data = new FormData(form);
    const params = { role: data.get('role'), password: data.get('password') };
    if (data.get('read_only')) params.read_only = '1';
    form.querySelector('button').disabled = true;
    try {
      await post('login', params);
      form.reset();
      await start();
    } catch (err) {
      error.hidden = false;
      error.textContent = err.status === 401 ? 'Sign-in failed: wrong role or password.' : err.message;
      form.querySelector('#password').value = '';
      form.querySelector('#password').focus();
    } finally {
      form.querySelector('button').disabled = false;
    }
  });
  put(main, form);
  form.querySelector('#role').focus();
}

async function start() {
  try {
    state.session = await api('session');
  } catch (err) {
    if (err.status === 401) { showLogin(); return; }
    banner('The dashboard does not answer: ' + err.message, 'bad');
    return;
  }
  document.getElementById('top').hidden = false;
  put(document.getElementById('who'),
    h('span', { class: 'role' }, state.session.role),
    state.session.read_only ? h('span', { class: 'tag ro' }, 'read-only') : null);
  startLive();
  if (!location.hash || location.hash === '#/') location.hash = '#/overview';
  else route();
}

document.addEventListener('DOMContentLoaded', () => {
  document.getElementById('signout').addEventListener('click', async () => {
    try { await post('logout'); } catch (e) { /* signed out anyway */ }
    state.session = null;
    showLogin('Signed out.');
  });
  window.addEventListener('hashchange', route);
  start();
});

// --- Live updates (Server-Sent Events) --------------------------------------------

function setLive(ok, text) {
  const el = document.getElementById('live');
  el.className = 'live ' + (ok ? 'on' : 'off');
  put(el, h('span', { class: 'dot', 'aria-hidden': 'true' }, ok ? '●' : '○'), ' ', text);
}

function startLive() {
  stopLive();
  const source = new EventSource('/api/events');
  state.source = source;
  source.onopen = () => { setLive(true, 'Live'); banner(''); };
  source.onerror = () => {
    setLive(false, 'Disconnected');
    banner('Lost the live connection to the dashboard: reconnecting… (what you see may be out of date)', 'bad');
  };
  source.addEventListener('signed-out', () => { state.session = null; showLogin('Your session ended: sign in again.'); });
  source.onmessage = (ev) => {
    let msg;
    try { msg = JSON.parse(ev.data); } catch (e) { return; }
    if (msg.type === 'status') {
      for (const s of msg.servers) state.live[s.server] = s;
      const down = msg.servers.filter((s) => !s.live).map((s) => s.server);
      if (down.length) setLive(false, 'No live updates from ' + down.join(', '));
      else setLive(true, 'Live');
    } else if (msg.type === 'change') {
      scheduleRefresh();
    }
  };
}

function stopLive() {
  if (state.source) state.source.close();
  state.source = null;
}

function scheduleRefresh() {
  if (state.refreshTimer) return;
  state.refreshTimer = setTimeout(() => {
    state.refreshTimer = null;
    if (state.view && state.view.refresh) state.view.refresh();
  }, 250);
}

// --- Router ---------------------------------------------------------------------------

function route() {
  if (!state.session) return;
  const parts = location.hash.replace(/^#\/?/, '').split('/');
  const [page, ...rest] = parts.map(decodeURIComponent);
  for (const a of document.querySelectorAll('[data-nav]')) {
    if (a.dataset.nav === (page === 'job' ? 'jobs' : page)) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  const views = { overview: overviewView, jobs: jobsView, job: jobView, runs: runsView, alerts: alertsView };
  const make = views[page] || overviewView;
  state.view = make(...rest);
  const main = document.getElementById('main');
  put(main, state.view.el);
  state.view.refresh();
}

// --- Overview ---------------------------------------------------------------------------

function overviewView() {
  const el = h('section', { class: 'page' }, h('h1', {}, 'Overview'));
  const body = h('div', { id: 'overview' });
  el.append(body);
  async function refresh() {
    let data;
    try { data = await api('overview'); } catch (err) { put(body, errorBox(err)); return; }
    const live = {};
    for (const s of data.live.servers) live[s.server] = s;
    const cards = data.overview.results.map((r) => serverCard(r, live[r.server] || {}));
    put(body, ...cards);
  }
  return { el, refresh };
}

function stat(label, value, extra) {
  return h('div', { class: 'stat' + (extra ? ' ' + extra : '') }, h('div', { class: 'value' }, value), h('div', { class: 'label' }, label));
}

function serverCard(result, live) {
  const card = h('article', { class: 'card server' }, h('h2', {}, 'Server ', h('span', { class: 'tag' }, result.server)));
  if (result.error) { card.append(errorBox({ body: result.error })); return card; }
  const d = result.data;
  const up = live.scheduler_up;
  const health = d.health || {};
  const healthClass = { ok: 's-succeeded', degraded: 's-timed_out', down: 's-failed' }[health.status] || 's-never';
  const healthIcon = { ok: '✓', degraded: '!', down: '✕' }[health.status] || '?';
  card.append(h('div', { class: 'stats' },
    stat('scheduler', h('span', { class: 'badge ' + (up ? 's-succeeded' : 's-failed') },
      h('span', { class: 'icon', 'aria-hidden': 'true' }, up ? '✓' : '✕'), up ? 'up' : (live.live ? 'down' : 'unknown'))),
    stat('health', h('span', { class: 'badge ' + healthClass, 'data-health': health.status || '' },
      h('span', { class: 'icon', 'aria-hidden': 'true' }, healthIcon), health.status || 'unknown')),
    health.workers_max === undefined ? stat('workers', String(live.workers ?? '—'))
      : stat(`workers busy (${health.workers_idle} idle)`, `${health.workers_busy} / ${health.workers_max}`),
    stat('running', String(d.running)),
    stat('queued', String(d.queued)),
    stat('queue lag', d.lag_ms === null ? '—' : ms(d.lag_ms)),
    stat('jobs', d.jobs + (d.jobs_disabled ? ` (${d.jobs_disabled} disabled)` : '')),
    stat('runs in 24 h', String(d.day.runs)),
    stat('success in 24 h', rate(d.day.succeeded, d.day.failed), d.day.failed ? 'warn' : '')));
  if (health.reasons && health.reasons.length) {
    card.append(h('ul', { class: 'plain health-reasons', 'aria-label': 'health reasons' },
      health.reasons.map((r) => h('li', {}, h('span', { class: 'icon', 'aria-hidden': 'true' }, '⚠ '), r))));
  }
  const failing = h('div', { class: 'failing' }, h('h3', {}, 'Failing jobs'));
  if (!d.failing.length) failing.append(h('p', { class: 'muted' }, 'No job whose last run failed in the last 24 hours.'));
  else failing.append(h('ul', { class: 'plain' }, d.failing.map((f) => h('li', {},
    badge(f.status), ' ', h('a', { href: `#/job/${encodeURIComponent(result.server)}/${f.job_id}` }, f.job_name), ' ',
    h('span', { class: 'muted' }, when(f.finished_at)), f.error ? h('div', { class: 'err-line' }, f.error) : null))));
  card.append(failing, h('h3', {}, 'Last hour'), timeline(d.timeline, d.now, result.server));
  return card;
}

function timeline(runs, nowIso, server) {
  if (!runs.length) return h('p', { class: 'muted' }, 'No runs in the last hour.');
  const now = new Date(nowIso).getTime(), from = now - 3600 * 1000;
  const lanes = [...new Map(runs.map((r) => [r.job_id, r.job_name])).entries()].slice(0, 15);
  const laneH = 22, labelW = 150, w = 900;
  const plotW = w - labelW - 10;
  const x = (t) => labelW + Math.max(0, Math.min(1, (t - from) / 3600000)) * plotW;
  const items = [];
  lanes.forEach(([jobId, name], i) => {
    const y = i * laneH;
    items.push(svg('text', { x: 0, y: y + 15, class: 'lane-label' }, document.createTextNode(name.length > 20 ? name.slice(0, 19) + '…' : name)));
    items.push(svg('line', { x1: labelW, x2: w - 10, y1: y + 11, y2: y + 11, class: 'lane' }));
    for (const r of runs.filter((r) => r.job_id === jobId)) {
      const s = new Date(r.started_at).getTime(), e = r.finished_at ? new Date(r.finished_at).getTime() : now;
      const x1 = x(s), width = Math.max(3, x(e) - x1);
      const shape = r.status === 'succeeded' ? svg('rect', { x: x1, y: y + 5, width, height: 12, rx: 2, class: 'run s-' + r.status })
        : svg('path', { d: `M${x1} ${y + 3} l6 8 l-6 8 l-6 -8 z`, class: 'run s-' + r.status });
      shape.append(svg('title', {}, document.createTextNode(`${r.job_name} #${r.execution_id}: ${r.status}`)));
      items.push(shape);
    }
  });
  const height = lanes.length * laneH + 16;
  items.push(svg('text', { x: labelW, y: height - 2, class: 'axis' }, document.createTextNode('60 min ago')));
  items.push(svg('text', { x: w - 40, y: height - 2, class: 'axis' }, document.createTextNode('now')));
  return h('div', { class: 'timeline' }, svg('svg', { viewBox: `0 0 ${w} ${height}`, role: 'img',
    'aria-label': `runs of the last hour on ${server}: ${runs.length} runs of ${lanes.length} jobs` }, items),
  h('p', { class: 'legend muted' }, 'Bars: succeeded; diamonds: any other status (hover for details).'));
}

// --- Jobs -------------------------------------------------------------------------------

function jobsView() {
  const saved = JSON.parse(sessionStorage.getItem('jobs-filter') || '{}');
  const f = Object.assign({ q: '', status: '', kind: '', owner: '', sort: 'name', dir: 'asc', page: 1, server: '' }, saved);
  const el = h('section', { class: 'page' }, h('h1', {}, 'Jobs'));
  const search = h('input', { type: 'search', id: 'job-search', placeholder: 'name or schedule', value: f.q, 'aria-label': 'Search jobs' });
  const status = h('select', { id: 'job-status', 'aria-label': 'Filter by status' },
    ['', 'enabled', 'disabled', 'running', 'succeeded', 'failed', 'timed_out', 'crashed', 'cancelled', 'skipped', 'never']
      .map((s) => h('option', { value: s, selected: s === f.status }, s ? (STATUS[s] ? STATUS[s][1] : s) : 'any status')));
  const kind = h('select', { id: 'job-kind', 'aria-label': 'Filter by kind' },
    ['', 'sql', 'http'].map((s) => h('option', { value: s, selected: s === f.kind }, s || 'any kind')));
  const owner = h('input', { type: 'text', id: 'job-owner', placeholder: 'owner', value: f.owner, 'aria-label': 'Filter by owner', size: 10 });
  const tag = h('input', { type: 'text', id: 'job-tag', placeholder: 'tag', value: f.tag || '', 'aria-label': 'Filter by tag', size: 8 });
  const server = multi() ? h('select', { id: 'job-server', 'aria-label': 'Server' },
    [''].concat(serverNames()).map((s) => h('option', { value: s, selected: s === f.server }, s || 'all servers'))) : null;
  const count = h('span', { class: 'muted', id: 'job-count', 'aria-live': 'polite' });
  el.append(h('div', { class: 'toolbar' }, search, status, kind, owner, tag, server, count));
  const table = h('div', { class: 'table-wrap' });
  const pager = h('nav', { class: 'pager', 'aria-label': 'Pages of jobs' });
  el.append(table, pager);
  let timer = null;
  const changed = () => {
    f.q = search.value; f.status = status.value; f.kind = kind.value; f.owner = owner.value; f.tag = tag.value; f.server = server ? server.value : '';
    f.page = 1;
    clearTimeout(timer);
    timer = setTimeout(refresh, 200);
  };
  for (const input of [search, owner, tag]) input.addEventListener('input', changed);
  for (const select of [status, kind, server]) if (select) select.addEventListener('change', changed);

  const columns = [['name', 'Job'], ['owner', 'Owner'], ['kind', 'Kind'], ['schedule', 'Schedule'], [null, 'Next run'],
    ['last_status', 'Last run'], [null, 'Last duration'], [null, 'Success'], [null, 'p95'], [null, 'Recent runs']];

  async function refresh() {
    sessionStorage.setItem('jobs-filter', JSON.stringify(f));
    let data;
    const started = performance.now();
    try {
      data = await api('jobs', { q: f.q, status: f.status, kind: f.kind, owner: f.owner, tag: f.tag, sort: f.sort, dir: f.dir, page: f.page, per_page: 50, server: f.server });
    } catch (err) { put(table, errorBox(err)); return; }
    let total = 0;
    const rows = [];
    const errors = [];
    for (const r of data.results) {
      if (r.error) { errors.push(h('div', {}, h('span', { class: 'tag' }, r.server), errorBox({ body: r.error }))); continue; }
      total += r.data.total;
      for (const job of r.data.rows) rows.push(jobRow(job, r.server));
    }
    const head = h('tr', {}, columns.map(([key, label]) => {
      if (!key) return h('th', { scope: 'col' }, label);
      const sorted = f.sort === key;
      return h('th', { scope: 'col', 'aria-sort': sorted ? (f.dir === 'asc' ? 'ascending' : 'descending') : 'none' },
        h('button', { type: 'button', class: 'sort', onclick: () => {
          if (f.sort === key) f.dir = f.dir === 'asc' ? 'desc' : 'asc'; else { f.sort = key; f.dir = 'asc'; }
          refresh();
        } }, label, sorted ? (f.dir === 'asc' ? ' ▲' : ' ▼') : ''));
    }));
    const tbody = h('tbody', {}, rows.length ? rows : h('tr', {}, h('td', { colspan: columns.length, class: 'muted empty' }, 'No job matches.')));
    put(table, ...errors, h('table', { class: 'jobs', id: 'jobs-table' }, h('thead', {}, head), tbody));
    const pages = Math.max(1, Math.ceil(total / 50 / Math.max(1, data.results.length)));
    count.textContent = `${total.toLocaleString()} job${total === 1 ? '' : 's'} · ${Math.round(performance.now() - started)} ms`;
    put(pager, 
      h('button', { type: 'button', disabled: f.page <= 1, onclick: () => { f.page--; refresh(); } }, '‹ Previous'),
      h('span', {}, ` page ${f.page} of ${pages} `),
      h('button', { type: 'button', disabled: f.page >= pages, onclick: () => { f.page++; refresh(); } }, 'Next ›'));
  }
  return { el, refresh };
}

function jobRow(job, server) {
  const status = job.running ? 'running' : (job.last_status || 'never');
  const link = `#/job/${encodeURIComponent(server)}/${job.job_id}`;
  return h('tr', { 'data-job': job.job_name },
    h('td', {}, h('a', { href: link, class: 'job-name' }, job.job_name), multi() ? h('span', { class: 'tag' }, server) : null,
      (job.tags || []).map((t) => h('span', { class: 'tag label' }, t)),
      job.description ? h('div', { class: 'muted small' }, job.description) : null,
      job.enabled ? null : h('span', { class: 'badge s-disabled small' }, h('span', { class: 'icon', 'aria-hidden': 'true' }, '‖'), 'disabled')),
    h('td', { 'data-label': 'Owner' }, job.owner),
    h('td', { 'data-label': 'Kind' }, h('span', { class: 'tag' }, job.kind)),
    h('td', { 'data-label': 'Schedule' }, job.schedule ? [h('code', {}, job.schedule), h('div', { class: 'muted small' }, job.describe)] : h('span', { class: 'muted' }, 'on demand')),
    h('td', { 'data-label': 'Next run' }, job.next_run_at ? when(job.next_run_at) : h('span', { class: 'muted' }, '—')),
    h('td', { class: 'last-status', 'data-label': 'Last run' }, badge(status)),
    h('td', { class: 'num', 'data-label': 'Last duration' }, ms(job.last_duration_ms)),
    h('td', { class: 'num', 'data-label': 'Success' }, rate(job.succeeded_runs, job.failed_runs)),
    h('td', { class: 'num', 'data-label': 'p95' }, ms(job.p95_ms)),
    h('td', { 'data-label': 'Recent runs' }, sparkline(job.recent)));
}

// --- Job ---------------------------------------------------------------------------------

function jobView(server, id) {
  const el = h('section', { class: 'page job' });
  const header = h('div', { class: 'job-head' });
  const actions = h('div', { class: 'actions', role: 'group', 'aria-label': 'Actions' });
  const message = h('div', { 'aria-live': 'polite' });
  const defn = h('div', { class: 'card' });
  const upcoming = h('div', { class: 'card' });
  const editor = scheduleEditor(server, id);
  const trigger = triggerBox(server, id);
  const history = historyBox(server, id);
  const audit = h('div', { class: 'card' });
  el.append(h('p', {}, h('a', { href: '#/jobs' }, '‹ All jobs')), header, actions, message,
    h('div', { class: 'grid2' }, defn, h('div', {}, editor.el, upcoming)), trigger.el, history.el, audit);
  let job = null;
  const readOnly = () => state.session.read_only;

  async function act(path, params, done) {
    put(message, );
    try {
      const result = await post(path, Object.assign({ server, id }, params || {}));
      if (done) done(result);
      await refresh();
    } catch (err) { put(message, errorBox(err)); }
  }

  async function refresh() {
    let data;
    try { data = await api('job', { server, id }); } catch (err) {
      put(header, h('h1', {}, 'Job ' + id));
      put(defn, errorBox(err));
      return;
    }
    job = data.job;
    const st = data.status || {};
    const status = st.running ? 'running' : (st.last_status || 'never');
    put(header, h('h1', {}, job.job_name, ' ', h('span', { class: 'job-status', id: 'job-status' }, badge(status)),
      job.enabled ? null : h('span', { id: 'job-disabled' }, ' ', badge('disabled'))),
    h('p', { class: 'muted' }, `#${job.job_id} on `, h('span', { class: 'tag' }, server), ` · owner ${job.owner} · ${job.kind}`,
      job.disabled_reason ? ' · ' + job.disabled_reason : ''));
    put(actions, 
      h('button', { type: 'button', id: 'act-trigger', class: 'primary', disabled: readOnly(), onclick: () => trigger.focus() }, '▶ Trigger…'),
      job.enabled
        ? h('button', { type: 'button', id: 'act-disable', disabled: readOnly(), onclick: () => act('job/disable', {}, () => toast('Disabled ' + job.job_name)) }, 'Disable')
        : h('button', { type: 'button', id: 'act-enable', disabled: readOnly(), onclick: () => act('job/enable', {}, () => toast('Enabled ' + job.job_name)) }, 'Enable'),
      h('button', { type: 'button', id: 'act-delete', class: 'danger', disabled: readOnly(), onclick: () => {
        if (!confirm(`Delete job "${job.job_name}"? Its queued runs are cancelled; its history stays.`)) return;
        act('job/delete', {}, () => { toast('Deleted ' + job.job_name); location.hash = '#/jobs'; });
      } }, 'Delete…'),
      readOnly() ? h('span', { class: 'muted' }, 'Read-only session: actions are off.') : null);
    const rows = [['Command', job.kind === 'sql' ? h('pre', { class: 'code' }, job.command) : h('code', {}, `${job.http_method} ${job.http_url}`)],
      ['Schedule', job.schedule ? [h('code', {}, job.schedule), ' — ', data.describe] : (job.run_at ? ['once at ', when(job.run_at)] : 'on demand (runs when triggered)')],
      ['Time zone', job.timezone], ['Database', job.database], ['Enabled', job.enabled ? 'yes' : 'no'],
      ['Next run', st.next_run_at ? when(st.next_run_at) : '—'],
      ['Runs', `${st.total_runs ?? 0} (${st.succeeded_runs ?? 0} succeeded, ${st.failed_runs ?? 0} failed) · success ${rate(st.succeeded_runs, st.failed_runs)}`],
      ['Timeout', job.timeout || 'default'], ['Retries', `${job.max_retries} (backoff ${job.retry_backoff} … ${job.retry_backoff_max})`],
      ['Overlap', `${job.overlap}${job.overlap === 'allow' ? ' (max ' + job.max_concurrent + ')' : ''}`], ['Misfire', job.misfire]];
    if (job.description) rows.unshift(['Description', job.description]);
    if (job.tags && job.tags.length) rows.push(['Tags', job.tags.map((t) => h('span', { class: 'tag label' }, t))]);
    if (data.explain && data.explain.length) rows.push(['Why (jobs.explain)', h('ul', { class: 'explain', id: 'job-explain' }, data.explain.map((r) => h('li', {}, r)))]);
    if (job.kind === 'http') rows.push(['Headers', h('pre', { class: 'code' }, JSON.stringify(job.http_headers || {}, null, 2))]);
    for (const [key, label] of [['start_at', 'Starts'], ['end_at', 'Ends'], ['max_runs', 'Max runs'], ['starting_deadline', 'Starting deadline'], ['min_trigger_interval', 'Min trigger interval']]) {
      if (job[key] !== null && job[key] !== undefined) rows.push([label, String(job[key])]);
    }
    put(defn, h('h2', {}, 'Definition'), h('dl', { class: 'defs' }, rows.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)])));
    put(upcoming, h('h2', {}, 'Next 10 fire times'), data.next_runs && data.next_runs.length
      ? h('ol', { class: 'times', id: 'next-runs' }, data.next_runs.map((t) => h('li', {}, h('code', {}, t.replace('T', ' ').replace(/\+00:00$/, ' UTC')), ' ', h('span', { class: 'muted' }, when(t)))))
      : h('p', { class: 'muted' }, job.enabled ? 'None: the job does not fire on a schedule.' : 'None: the job is disabled.'));
    editor.set(job);
    put(audit, h('h2', {}, 'Changes'), data.audit && data.audit.length
      ? h('table', { class: 'audit' }, h('thead', {}, h('tr', {}, h('th', {}, 'When'), h('th', {}, 'Who'), h('th', {}, 'What'), h('th', {}, 'Fields'))),
        h('tbody', {}, data.audit.map((a) => h('tr', {}, h('td', {}, when(a.changed_at)), h('td', {}, a.changed_by), h('td', {}, a.action), h('td', {}, (a.fields || []).join(', '))))))
      : h('p', { class: 'muted' }, 'No recorded change.'));
    trigger.setEnabled(!readOnly());
    history.refresh();
  }
  return { el, refresh };
}

function scheduleEditor(server, id) {
  const input = h('input', { id: 'schedule-input', type: 'text', spellcheck: 'false', autocomplete: 'off', 'aria-describedby': 'schedule-check' });
  const zone = h('input', { id: 'timezone-input', type: 'text', spellcheck: 'false', autocomplete: 'off', 'aria-label': 'Time zone' });
  const check = h('div', { id: 'schedule-check', class: 'check-out', 'aria-live': 'polite' });
  const save = h('button', { type: 'submit', id: 'schedule-save' }, 'Save schedule');
  const form = h('form', { class: 'card' }, h('h2', {}, 'Edit schedule'),
    h('label', { for: 'schedule-input' }, 'Schedule (cron, macro or @every)'), input,
    h('label', { for: 'timezone-input' }, 'Time zone'), zone, check, save);
  let current = null, timer = null, seq = 0, dirty = false;
  async function validate() {
    const mine = ++seq;
    if (!input.value.trim()) { put(check, h('p', { class: 'muted' }, 'A job without a schedule runs only when triggered; set that with jobs.schedule in SQL.')); save.disabled = true; return; }
    try {
      const data = await api('validate', { server, schedule: input.value, timezone: zone.value });
      if (mine !== seq) return;
      put(check, h('p', { class: 'ok', id: 'schedule-words' }, '✓ ', data.description),
        h('p', { class: 'muted small' }, 'Next: ', (data.next_runs || []).slice(0, 3).map((t) => t.replace('T', ' ').replace(/\+00:00$/, ' UTC')).join(' · ')));
      save.disabled = state.session.read_only || !current;
    } catch (err) {
      if (mine !== seq) return;
      const box = errorBox(err);
      box.id = 'schedule-error';
      put(check, box);
      save.disabled = true;
    }
  }
  const edited = () => { dirty = true; clearTimeout(timer); timer = setTimeout(validate, 150); };
  input.addEventListener('input', edited);
  zone.addEventListener('input', edited);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      await post('job/schedule', { server, id, schedule: input.value, timezone: zone.value });
      dirty = false;
      toast('Schedule saved');
      if (state.view && state.view.refresh) state.view.refresh();
    } catch (err) { put(check, errorBox(err)); }
  });
  return {
    el: form,
    set(job) {
      current = job;
      if (!dirty && document.activeElement !== input && document.activeElement !== zone) {
        input.value = job.schedule || '';
        zone.value = job.timezone || '';
        validate();
      }
    },
  };
}

function triggerBox(server, id) {
  const payload = h('textarea', { id: 'payload', rows: 3, spellcheck: 'false', placeholder: '{"key": "value"} (optional)', 'aria-describedby': 'payload-check' });
  const check = h('div', { id: 'payload-check', 'aria-live': 'polite' });
  const go = h('button', { type: 'submit', class: 'primary', id: 'trigger-run' }, '▶ Run now');
  const form = h('form', { class: 'card trigger' }, h('h2', {}, 'Trigger a run'),
    h('label', { for: 'payload' }, 'Payload (JSON, read by the job with jobs.context())'), payload, check, go);
  payload.addEventListener('input', () => {
    if (!payload.value.trim()) { put(check, ); go.disabled = false; return; }
    try { JSON.parse(payload.value); put(check, h('p', { class: 'ok small' }, '✓ valid JSON')); go.disabled = false; } catch (e) { put(check, h('p', { class: 'error small' }, '✕ ' + e.message)); go.disabled = true; }
  });
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      const result = await post('job/trigger', { server, id, payload: payload.value.trim() });
      put(check, h('p', { class: 'ok' }, `Queued run #${result.execution_id}.`));
      if (state.view && state.view.refresh) state.view.refresh();
    } catch (err) { put(check, errorBox(err)); }
  });
  return { el: form, focus() { payload.focus(); }, setEnabled(on) { go.disabled = !on; payload.disabled = !on; } };
}

function historyBox(server, jobId) {
  const f = { status: '', page: 1 };
  const status = h('select', { 'aria-label': 'Filter runs by status', id: 'history-status' },
    ['', 'succeeded', 'failed', 'timed_out', 'crashed', 'cancelled', 'skipped', 'running', 'queued'].map((s) => h('option', { value: s }, s ? STATUS[s][1] : 'any status')));
  const chart = h('div', { class: 'chart' });
  const table = h('div', { class: 'table-wrap' });
  const pager = h('nav', { class: 'pager', 'aria-label': 'Pages of runs' });
  const el = h('div', { class: 'card' }, h('h2', {}, 'History'), h('div', { class: 'toolbar' }, status), chart, table, pager);
  status.addEventListener('change', () => { f.status = status.value; f.page = 1; refresh(); });
  const open = new Set();
  async function refresh() {
    let data;
    try { data = await api('runs', { server, job_id: jobId, status: f.status, page: f.page, per_page: 20 }); } catch (err) { put(table, errorBox(err)); return; }
    const r = data.results[0];
    if (r.error) { put(table, errorBox({ body: r.error })); return; }
    const rows = r.data.rows;
    put(chart, durationChart(rows.slice().reverse()));
    put(table, runsTable(rows, server, false, open));
    const total = r.data.total, pages = Math.max(1, Math.ceil(total / 20));
    put(pager, 
      h('button', { type: 'button', disabled: f.page <= 1, onclick: () => { f.page--; refresh(); } }, '‹ Newer'),
      h('span', {}, ` page ${f.page} of ${total > 10000 ? pages + '+' : pages} `),
      h('button', { type: 'button', disabled: f.page >= pages, onclick: () => { f.page++; refresh(); } }, 'Older ›'));
  }
  return { el, refresh };
}

function durationChart(rows) {
  const done = rows.filter((r) => r.duration_ms !== null);
  if (done.length < 2) return h('span');
  const w = 600, hh = 60, max = Math.max(...done.map((r) => r.duration_ms), 1), step = Math.min(24, w / done.length);
  return svg('svg', { viewBox: `0 0 ${w} ${hh + 14}`, class: 'duration-chart', role: 'img', 'aria-label': `durations of ${done.length} runs, longest ${ms(max)}` },
    done.map((r, i) => { const bh = Math.max(2, (r.duration_ms / max) * hh); return svg('rect', { x: i * step, y: hh - bh, width: Math.max(1, step - 2), height: bh, class: 'bar s-' + r.status }, svg('title', {}, document.createTextNode(`#${r.execution_id}: ${ms(r.duration_ms)} ${r.status}`))); }),
    svg('text', { x: 0, y: hh + 12, class: 'axis' }, document.createTextNode('longest ' + ms(max))));
}

function runsTable(rows, server, withJob, open) {
  if (!rows.length) return h('p', { class: 'muted' }, 'No run matches.');
  const body = h('tbody');
  for (const run of rows) {
    const detail = h('tr', { class: 'run-detail', hidden: !open.has(run.execution_id) }, h('td', { colspan: withJob ? 8 : 7 }));
    const toggle = h('button', { type: 'button', class: 'link', 'aria-expanded': String(open.has(run.execution_id)), onclick: async () => {
      const isOpen = detail.hidden;
      detail.hidden = !isOpen;
      toggle.setAttribute('aria-expanded', String(isOpen));
      if (isOpen) { open.add(run.execution_id); await loadRun(detail.firstChild, server, run.execution_id); } else open.delete(run.execution_id);
    } }, '#' + run.execution_id);
    if (open.has(run.execution_id)) loadRun(detail.firstChild, server, run.execution_id);
    body.append(h('tr', { 'data-run': run.execution_id },
      h('td', {}, toggle),
      withJob ? h('td', {}, h('a', { href: `#/job/${encodeURIComponent(server)}/${run.job_id}` }, run.job_name), multi() ? h('span', { class: 'tag' }, server) : null) : null,
      h('td', {}, badge(run.status), run.skipped_count > 1 ? h('span', { class: 'muted small' }, ` ×${run.skipped_count}`) : null),
      h('td', {}, run.triggered_by, run.attempt > 1 ? ` (attempt ${run.attempt})` : ''),
      h('td', {}, when(run.started_at || run.queued_at)),
      h('td', { class: 'num' }, ms(run.duration_ms)),
      h('td', { class: 'err-cell' }, run.error ? [run.sqlstate ? h('code', {}, run.sqlstate) : null, ' ', run.error] : ''),
      h('td', {}, (run.status === 'running' || run.status === 'queued') && !state.session.read_only
        ? h('button', { type: 'button', class: 'danger small', onclick: async () => {
          try { await post('run/cancel', { server, id: run.execution_id }); toast('Cancel requested for #' + run.execution_id); scheduleRefresh(); } catch (err) { banner(err.message, 'bad'); }
        } }, 'Cancel') : null)), detail);
  }
  return h('table', { class: 'runs' }, h('thead', {}, h('tr', {}, h('th', {}, 'Run'), withJob ? h('th', {}, 'Job') : null, h('th', {}, 'Status'),
    h('th', {}, 'Why'), h('th', {}, 'Started'), h('th', {}, 'Duration'), h('th', {}, 'Error'), h('th', {}, h('span', { class: 'sr' }, 'Actions')))), body);
}

async function loadRun(cell, server, id) {
  put(cell, h('span', { class: 'muted' }, 'loading…'));
  try {
    const run = await api('run', { server, id });
    const items = [['Status', badge(run.status)], ['Queued', run.queued_at], ['Started', run.started_at || '—'], ['Finished', run.finished_at || '—'],
      ['Worker pid', run.worker_pid ?? '—'], ['Rows affected', run.rows_affected ?? '—']];
    if (run.error) items.push(['Error', h('strong', {}, run.error)], ['SQLSTATE', run.sqlstate || '—']);
    if (run.error_detail) items.push(['Detail', h('pre', { class: 'code' }, run.error_detail)]);
    if (run.payload) items.push(['Payload', h('pre', { class: 'code' }, JSON.stringify(run.payload, null, 2))]);
    if (run.result !== null && run.result !== undefined) items.push(['Result', h('pre', { class: 'code' }, JSON.stringify(run.result, null, 2))]);
    if (run.http_status) items.push(['HTTP status', String(run.http_status)]);
    if (run.http_timing) items.push(['HTTP timings', Object.entries(run.http_timing).map(([k, v]) => `${k.replace('_ms', '')} ${v} ms`).join(' · ')]);
    put(cell, h('dl', { class: 'defs compact' }, items.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)])));
  } catch (err) { put(cell, errorBox(err)); }
}

// --- Runs --------------------------------------------------------------------------------

function runsView() {
  const f = { status: '', q: '', since: '', page: 1, server: '' };
  const el = h('section', { class: 'page' }, h('h1', {}, 'Runs'));
  const status = h('select', { 'aria-label': 'Filter by status', id: 'runs-status' },
    ['', 'succeeded', 'failed', 'timed_out', 'crashed', 'cancelled', 'skipped', 'running', 'queued'].map((s) => h('option', { value: s }, s ? STATUS[s][1] : 'any status')));
  const q = h('input', { type: 'search', placeholder: 'job name', 'aria-label': 'Filter by job name', id: 'runs-q' });
  const since = h('select', { 'aria-label': 'Time', id: 'runs-since' }, [['', 'any time'], ['1', 'last hour'], ['24', 'last 24 hours'], ['168', 'last 7 days']].map(([v, t]) => h('option', { value: v }, t)));
  const server = multi() ? h('select', { 'aria-label': 'Server' }, [''].concat(serverNames()).map((s) => h('option', { value: s }, s || 'all servers'))) : null;
  const table = h('div', { class: 'table-wrap' });
  const pager = h('nav', { class: 'pager', 'aria-label': 'Pages of runs' });
  el.append(h('div', { class: 'toolbar' }, status, q, since, server), table, pager);
  let timer = null;
  const changed = () => { f.status = status.value; f.q = q.value; f.since = since.value; f.server = server ? server.value : ''; f.page = 1; clearTimeout(timer); timer = setTimeout(refresh, 200); };
  status.addEventListener('change', changed); since.addEventListener('change', changed); q.addEventListener('input', changed);
  if (server) server.addEventListener('change', changed);
  const open = new Set();
  async function refresh() {
    const sinceIso = f.since ? new Date(Date.now() - Number(f.since) * 3600000).toISOString() : '';
    let data;
    try { data = await api('runs', { status: f.status, q: f.q, since: sinceIso, page: f.page, per_page: 50, server: f.server }); } catch (err) { put(table, errorBox(err)); return; }
    const parts = [];
    let most = 0;
    for (const r of data.results) {
      if (r.error) { parts.push(h('div', {}, h('span', { class: 'tag' }, r.server), errorBox({ body: r.error }))); continue; }
      if (multi()) parts.push(h('h2', {}, h('span', { class: 'tag' }, r.server), ` ${r.data.total > 10000 ? '10,000+' : r.data.total} runs`));
      parts.push(runsTable(r.data.rows, r.server, true, open));
      most = Math.max(most, r.data.total);
    }
    put(table, ...parts);
    const pages = Math.max(1, Math.ceil(most / 50));
    put(pager, 
      h('button', { type: 'button', disabled: f.page <= 1, onclick: () => { f.page--; refresh(); } }, '‹ Newer'),
      h('span', {}, ` page ${f.page} of ${most > 10000 ? pages + '+' : pages} `),
      h('button', { type: 'button', disabled: f.page >= pages, onclick: () => { f.page++; refresh(); } }, 'Older ›'));
  }
  return { el, refresh };
}

// Alerts: each rule, whether it is firing, and its deliveries (jobs.alert_status).
function alertsView() {
  const el = h('section', { class: 'page' }, h('h1', {}, 'Alerts'));
  const body = h('div', { id: 'alerts' });
  el.append(body);
  async function refresh() {
    let data;
    try { data = await api('alerts'); } catch (err) { put(body, errorBox(err)); return; }
    const parts = [];
    for (const r of data.results) {
      if (multi()) parts.push(h('h2', {}, h('span', { class: 'tag' }, r.server)));
      if (r.error) { parts.push(errorBox({ body: r.error })); continue; }
      if (!r.data.length) {
        parts.push(h('p', { class: 'muted' }, 'No alert. Define one in SQL: ',
          h('code', {}, "SELECT jobs.alert('nightly failed', 'notify-ops', jobs => ARRAY['nightly-report'])")));
        continue;
      }
      for (const a of r.data) parts.push(alertCard(a, r.server));
    }
    put(body, ...parts);
  }
  return { el, refresh };
}

function alertCard(a, server) {
  const state = a.firing ? badge('failed') : badge('succeeded');
  state.lastChild.textContent = a.firing ? 'firing' : 'quiet';
  state.setAttribute('data-alert-state', a.firing ? 'firing' : 'quiet');
  const rule = [`on ${a.events.join(', ')}`, a.watched_jobs ? `of ${a.watched_jobs.join(', ')}` : 'of every job',
    `handler ${a.handler || '(removed)'}`, `repeat after ${a.repeat_after}`]
    .concat(a.long_running_after ? [`long running after ${a.long_running_after}`] : []).join(' · ');
  const rows = a.jobs.map((j) => h('tr', {},
    h('td', {}, j.firing ? badge('failed') : badge('succeeded')),
    h('td', {}, h('a', { href: `#/job/${encodeURIComponent(server)}/${j.job_id}` }, j.job_name)),
    h('td', {}, j.last_event || '—', ' ', h('span', { class: 'muted' }, when(j.last_event_at))),
    h('td', {}, j.firing_since ? when(j.firing_since) : '—'),
    h('td', { class: 'num' }, String(j.deliveries)),
    h('td', { class: 'num' }, String(j.suppressed)),
    h('td', {}, j.last_delivered_at ? when(j.last_delivered_at) : '—',
      j.last_handler_execution_id ? h('span', { class: 'muted' }, ` (run ${j.last_handler_execution_id})`) : null),
    h('td', { class: 'err-line' }, j.last_error || '')));
  return h('article', { class: 'card alert', 'data-alert': a.alert_name },
    h('h2', {}, state, ' ', a.alert_name, ' ', h('span', { class: 'muted small' }, `${a.deliveries} deliveries, ${a.suppressed} suppressed`)),
    h('p', { class: 'muted' }, rule),
    rows.length ? h('div', { class: 'table-wrap' }, h('table', {},
      h('thead', {}, h('tr', {}, ['', 'job', 'last event', 'firing since', 'deliveries', 'suppressed', 'last delivered', 'error'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, rows)))
      : h('p', { class: 'muted' }, 'No event seen yet.'));
}
