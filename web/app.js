// The playground: request and policy panels, evaluation through POST /v1/explain, the flow, the
// decision and the ranked fixes, lint marks through POST /v1/lint.

import * as api from './api.js';
import { h, fill, showError, DECISION_WORDS } from './dom.js';
import { Editor } from './editor.js';
import { parseJson, positionOf, offsetOf } from './jsonpos.js';
import { readCaseFile, caseToModel, principalValue, BUILTIN_NAMES } from './caseio.js';
import { flowNodes, drawFlow, layerType } from './flow.js';
import { renderVerdict, renderDetails, snapshotKey, canApply, weakeningWords } from './report.js';

const $ = (id) => document.getElementById(id);
const banner = () => $('banner');

/** Panel kinds: the case field, the lint type, and how people name them. */
const KINDS = {
  identity: { lint: 'identity', label: 'Identity-based policy', field: 'identityPolicies' },
  resource: { lint: 'resource', label: 'Resource-based policy', field: 'resourcePolicy' },
  boundary: { lint: 'boundary', label: 'Permissions boundary', field: 'permissionsBoundary' },
  session: { lint: 'session', label: 'Session policy', field: 'sessionPolicies' },
  scp: { lint: 'scp', label: 'SCP', field: 'scps' },
  rcp: { lint: 'rcp', label: 'RCP', field: 'rcps' },
  vpce: { lint: 'vpc-endpoint', label: 'VPC endpoint policy', field: 'vpcEndpointPolicy' },
};

const LINT_DELAY_MS = 350;

const app = {
  identity: [],
  resource: null,
  boundary: null,
  session: [],
  scps: [],
  rcps: [],
  vpce: null,
  context: null,
  extras: {},
  expect: undefined,
  description: '',
  file: null, // {name, description, cases}
  caseIndex: 0,
  result: null,
  snapshots: new Map(),
  selected: null,
  stale: false,
  builtins: {},
  evaluating: 0,
};

// ---------------------------------------------------------------- policy editors

function policyEditor(kind, text = '') {
  const p = { kind, timer: null, lintSeq: 0 };
  p.ed = new Editor({
    label: KINDS[kind].label,
    value: text,
    onInput: () => {
      markStale();
      checkSyntax(p);
      scheduleLint(p);
    },
  });
  checkSyntax(p);
  scheduleLint(p, 0);
  return p;
}

function isBuiltinText(text) {
  const t = text.trim();
  return BUILTIN_NAMES.some((n) => t === JSON.stringify(n));
}

/** The client-side check: the first JSON error, located, in the panel. */
function checkSyntax(p) {
  const text = p.ed.value;
  if (!text.trim()) {
    p.ed.setMarks('syntax', []);
    return true;
  }
  const r = parseJson(text);
  if (r.ok) {
    if (typeof r.value === 'string' && !BUILTIN_NAMES.includes(r.value)) {
      p.ed.setMarks('syntax', [{ start: 0, end: text.length, kind: 'error', message: `a policy is a JSON object (or "FullAWSAccess"/"RCPFullAWSAccess"), not the string ${JSON.stringify(r.value)}` }]);
      return false;
    }
    if (typeof r.value !== 'string' && (typeof r.value !== 'object' || r.value === null || Array.isArray(r.value))) {
      p.ed.setMarks('syntax', [{ start: 0, end: text.length, kind: 'error', message: 'a policy must be a JSON object' }]);
      return false;
    }
    p.ed.setMarks('syntax', []);
    return true;
  }
  const e = r.error;
  p.ed.setMarks('syntax', [{ start: e.offset, end: e.offset + 1, kind: 'error', message: `JSON syntax error: ${e.message}` }]);
  return false;
}

function lintType(p) {
  if (p.kind === 'resource') {
    const action = $('f-action').value.trim().toLowerCase();
    if (action.startsWith('sts:assumerole') || action === 'sts:tagsession' || action === 'sts:setsourceidentity') return 'trust';
  }
  return KINDS[p.kind].lint;
}

function scheduleLint(p, delay = LINT_DELAY_MS) {
  clearTimeout(p.timer);
  p.timer = setTimeout(() => runLint(p).catch((e) => showError(banner(), e)), delay);
}

const SEVERITY = { ERROR: 'error', SECURITY_WARNING: 'warning', WARNING: 'warning', SUGGESTION: 'suggestion' };

async function runLint(p) {
  const text = p.ed.value;
  if (!text.trim() || isBuiltinText(text) || !parseJson(text).ok) {
    p.ed.setMarks('lint', []);
    return;
  }
  const seq = ++p.lintSeq;
  const r = await api.lint(text, lintType(p));
  if (seq !== p.lintSeq || p.ed.value !== text) return; // an older answer
  if (!r.ok) {
    p.ed.setMarks('lint', [{ start: 0, end: 0, kind: 'info', message: `lint unavailable: ${r.error.message}` }]);
    return;
  }
  const marks = (r.data.findings || []).map((f) => {
    const span = (f.locations && f.locations[0] && f.locations[0].span) || { start: { line: 1, column: 0 }, end: { line: 1, column: 0 } };
    const start = offsetOf(text, span.start.line, span.start.column + 1);
    const end = offsetOf(text, span.end.line, span.end.column + 1);
    return { start, end: Math.max(end, start + 1), kind: SEVERITY[f.findingType] || 'info', message: `${f.issueCode}: ${f.findingDetails}` };
  });
  p.ed.setMarks('lint', marks);
}

// ---------------------------------------------------------------- panels

function panelHead(title, ...tools) {
  return h('div', { class: 'panel-head' }, h('h3', {}, title), h('div', { class: 'tools' }, tools));
}

function btn(text, onclick, attrs = {}) {
  return h('button', { type: 'button', ...attrs, class: ['btn', 'btn-small', attrs.class], onclick: guard(onclick) }, text);
}

function editorPanel(p, title, key, tools = []) {
  p.key = key;
  p.title = title;
  p.ed.textarea.setAttribute('aria-label', `${title}: policy JSON`);
  return h('div', { class: 'policy-panel', 'data-panel': key, id: `panel-${cssId(key)}` }, panelHead(title, tools), p.ed.el);
}

function cssId(key) {
  return key.replace(/[^A-Za-z0-9]+/g, '-');
}

function group(id, title, summary, open, ...content) {
  return h('details', { class: 'group', id: `group-${id}`, open: open || undefined }, h('summary', {}, h('span', { class: 'group-title' }, title), h('span', { class: 'group-sum' }, summary)), h('div', { class: 'group-body' }, content));
}

function countWords(n, one, many) {
  return n === 0 ? 'none' : `${n} ${n === 1 ? one : many}`;
}

function single(slot, kind, title, hint) {
  if (!app[slot]) app[slot] = policyEditor(kind, '');
  const p = app[slot];
  const has = p.ed.value.trim() !== '';
  return group(slot, title, has ? 'given' : 'none', has,
    h('p', { class: 'hint' }, hint),
    editorPanel(p, title, KINDS[kind].field, [btn('Clear', () => { p.ed.value = ''; checkSyntax(p); markStale(); renderPanels(); }, { 'aria-label': `Clear the ${title.toLowerCase()}` })]));
}

function list(slot, kind, title, hint, addWords) {
  const items = app[slot];
  return group(slot, title, countWords(items.length, 'policy', 'policies'), items.length > 0,
    h('p', { class: 'hint' }, hint),
    items.map((p, i) => editorPanel(p, `${KINDS[kind].label} ${i + 1}`, `${KINDS[kind].field}[${i}]`, [
      btn('Remove', () => { items.splice(i, 1); markStale(); renderPanels(); }, { 'aria-label': `Remove ${KINDS[kind].label.toLowerCase()} ${i + 1}` }),
    ])),
    btn(addWords, () => { items.push(policyEditor(kind, EMPTY_POLICY)); markStale(); renderPanels(); focusLast(slot); }, { class: 'btn-add' }));
}

function levels(slot, kind, title, hint) {
  const lv = app[slot];
  const name = kind.toUpperCase();
  const levelName = (i) => (i === 0 ? 'root' : i === lv.length - 1 ? 'account' : 'OU');
  return group(slot, title, lv.length ? `${lv.length} ${lv.length === 1 ? 'level' : 'levels'}` : 'none', lv.length > 0,
    h('p', { class: 'hint' }, hint),
    lv.map((level, l) => h('div', { class: 'level', 'data-level': `${slot}[${l}]` },
      h('div', { class: 'level-head' }, h('h4', {}, `Level ${l} · ${levelName(l)}`),
        btn('Remove level', () => { lv.splice(l, 1); markStale(); renderPanels(); }, { 'aria-label': `Remove ${name} level ${l}` })),
      level.map((p, i) => editorPanel(p, `${name} ${l}.${i + 1}`, `${slot}[${l}][${i}]`, [
        btn('Remove', () => { level.splice(i, 1); markStale(); renderPanels(); }, { 'aria-label': `Remove ${name} ${i + 1} of level ${l}` }),
      ])),
      btn(`Add ${name} to level ${l}`, () => { level.push(policyEditor(kind, EMPTY_POLICY)); markStale(); renderPanels(); }, { class: 'btn-add' }))),
    btn(`Add ${name} level`, () => {
      lv.push([policyEditor(kind, JSON.stringify(kind === 'scp' ? 'FullAWSAccess' : 'RCPFullAWSAccess'))]);
      markStale();
      renderPanels();
    }, { class: 'btn-add' }));
}

const EMPTY_POLICY = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '', Resource: '*' }] }, null, 2);

function focusLast(slot) {
  const items = app[slot];
  if (items.length) items[items.length - 1].ed.textarea.focus();
}

function renderPanels() {
  const openNow = new Set([...document.querySelectorAll('#policy-panels details.group')].filter((d) => d.open).map((d) => d.id));
  const built = [
    list('identity', 'identity', 'Identity-based policies', "Every identity policy of the caller: the user's inline and managed policies and its groups', or the role's.", 'Add identity policy'),
    single('resource', 'resource', 'Resource-based policy', 'The policy of the resource: bucket, key, queue, topic, function, secret, or a role trust policy for sts:AssumeRole. Empty: none.'),
    single('boundary', 'boundary', 'Permissions boundary', "The caller's permissions boundary (for a role session, the role's). Empty: none."),
    list('session', 'session', 'Session policies', 'Policies passed when the session was made.', 'Add session policy'),
    levels('scps', 'scp', 'Service control policies (SCPs)', "The SCPs of the caller's account, one level per box: the organization root first, the account last. No levels: the account is not in an organization."),
    levels('rcps', 'rcp', 'Resource control policies (RCPs)', "The RCPs of the resource's account, level by level as for SCPs."),
    single('vpce', 'vpce', 'VPC endpoint policy', 'The policy of the VPC endpoint the request came through. Empty: none.'),
  ];
  for (const d of built) if (openNow.has(d.id)) d.open = true;
  fill($('policy-panels'), built);
}

// ---------------------------------------------------------------- the request

function requestPanel() {
  if (!app.context) {
    app.context = new Editor({ label: 'Context keys, a JSON object', value: '{}', maxRows: 10, onInput: () => { markStale(); checkContext(); } });
  }
  for (const id of ['f-principal', 'f-action', 'f-resource', 'f-account']) {
    $(id).addEventListener('input', () => {
      markStale();
      fill($(`${id}-err`));
    });
  }
  $('f-action').addEventListener('change', () => app.resource && scheduleLint(app.resource, 0));
  fill($('context-editor'), app.context.el);
}

function checkContext() {
  const text = app.context.value;
  if (!text.trim()) {
    app.context.setMarks('syntax', []);
    return true;
  }
  const r = parseJson(text);
  if (!r.ok) {
    app.context.setMarks('syntax', [{ start: r.error.offset, end: r.error.offset + 1, kind: 'error', message: `JSON syntax error: ${r.error.message}` }]);
    return false;
  }
  if (typeof r.value !== 'object' || r.value === null || Array.isArray(r.value)) {
    app.context.setMarks('syntax', [{ start: 0, end: text.length, kind: 'error', message: 'the context is a JSON object: condition keys to values' }]);
    return false;
  }
  app.context.setMarks('syntax', []);
  return true;
}

// ---------------------------------------------------------------- loading and saving

function loadModel(m) {
  $('f-principal').value = m.principal;
  $('f-action').value = m.action;
  $('f-resource').value = m.resource;
  $('f-account').value = m.resourceAccount;
  for (const id of ['f-principal', 'f-action', 'f-resource', 'f-account']) fill($(`${id}-err`));
  app.context.value = m.context;
  checkContext();
  app.identity = m.identity.map((t) => policyEditor('identity', t));
  app.resource = policyEditor('resource', m.resourcePolicy);
  app.boundary = policyEditor('boundary', m.boundary);
  app.session = m.session.map((t) => policyEditor('session', t));
  app.scps = (m.scps || []).map((level) => level.map((t) => policyEditor('scp', t)));
  app.rcps = (m.rcps || []).map((level) => level.map((t) => policyEditor('rcp', t)));
  app.vpce = policyEditor('vpce', m.vpce);
  app.extras = m.extras;
  app.expect = m.expect;
  app.description = m.description;
  renderPanels();
  renderCaseInfo();
}

function renderCaseInfo() {
  const f = app.file;
  const parts = [];
  if (f) {
    parts.push(h('p', { class: 'file-name' }, h('strong', {}, f.name), f.description ? ` · ${f.description}` : ''));
    if (f.cases.length > 1) {
      const sel = h('select', { id: 'case-index', 'aria-label': 'Case in this file' },
        f.cases.map((c, i) => {
          const o = h('option', { value: String(i) }, `${i}: ${c.action || ''}${c.expect && c.expect.decision ? ` (expects ${DECISION_WORDS[c.expect.decision] || c.expect.decision})` : ''}`);
          if (i === app.caseIndex) o.selected = true;
          return o;
        }));
      sel.addEventListener('change', guard(async () => {
        selectCase(Number(sel.value));
        const ex = /^examples\/org\/([\w-]+)\.json$/.exec(app.file.name);
        if (ex) history.replaceState(null, '', `#example=${ex[1]}/${app.caseIndex}`);
        await evaluate();
      }));
      parts.push(h('label', { class: 'case-picker', for: 'case-index' }, `Case (${f.cases.length} in this file) `), sel);
    }
  }
  if (app.description) parts.push(h('p', { class: 'case-desc' }, app.description));
  const extras = Object.keys(app.extras || {});
  if (extras.length) parts.push(h('p', { class: 'hint' }, 'Also sent as loaded: ', extras.map((k) => h('code', {}, k)), '.'));
  if (app.expect && app.expect.decision) parts.push(h('p', { class: 'hint', id: 'expect-note' }, 'The case expects ', h('strong', {}, DECISION_WORDS[app.expect.decision] || app.expect.decision), '.'));
  fill($('case-info'), parts);
}

function selectCase(i) {
  app.caseIndex = i;
  loadModel(caseToModel(app.file.cases[i]));
}

function loadFileText(text, name) {
  const r = readCaseFile(text);
  if (!r.ok) return r;
  history.replaceState(null, '', location.pathname);
  app.file = { name, ...r.file };
  selectCase(0);
  return r;
}

async function openExample(name, index) {
  const r = await api.example(name);
  if (!r.ok) throw new Error(`example ${name}: ${r.error.message}`);
  const file = readCaseFile(JSON.stringify(r.data));
  if (!file.ok) throw new Error(`example ${name}: ${file.error.message}`);
  app.file = { name: `examples/org/${name}.json`, ...file.file };
  selectCase(Math.min(index, app.file.cases.length - 1));
  $('examples-menu').open = false;
  history.replaceState(null, '', `#example=${encodeURIComponent(name)}/${app.caseIndex}`);
  await evaluate();
}

async function renderExamplesMenu() {
  const r = await api.examples();
  if (!r.ok) {
    fill($('examples-list'), h('p', { class: 'alert alert-error' }, `The examples could not be listed: ${r.error.message}`));
    return;
  }
  fill($('examples-list'), r.data.examples.map((ex) =>
    h('div', { class: 'ex-group' },
      h('p', { class: 'ex-title' }, h('strong', {}, ex.name), h('span', { class: 'muted' }, ` · ${ex.description || ''}`)),
      h('ul', { class: 'plain ex-cases' }, ex.cases.map((c) =>
        h('li', {}, h('button', {
          type: 'button',
          class: 'ex-case',
          'data-example': `${ex.name}/${c.index}`,
          onclick: guard(() => openExample(ex.name, c.index)),
        },
        h('span', { class: ['tag', c.expect && c.expect.decision === 'allowed' ? 'tag-ok' : 'tag-deny'] }, (c.expect && DECISION_WORDS[c.expect.decision]) || '?'),
        h('span', { class: 'ex-action' }, ` ${c.action} `),
        h('span', { class: 'muted' }, c.description || '')))))),
  ));
}

/** Every editor's text parsed, for saving. Throws a located error naming the panel. */
function currentCase() {
  const problems = [];
  const parse = (p) => {
    const text = p.ed.value;
    const r = parseJson(text);
    if (!r.ok) {
      problems.push(`${p.title}: line ${r.error.line}, column ${r.error.column}: ${r.error.message}`);
      checkSyntax(p);
      return null;
    }
    return r.value;
  };
  const given = (p) => p && p.ed.value.trim() !== '';
  const c = { };
  if (app.description) c.description = app.description;
  try {
    c.principal = principalValue($('f-principal').value);
  } catch (e) {
    problems.push(e.message);
  }
  c.action = $('f-action').value.trim();
  c.resource = $('f-resource').value.trim();
  if ($('f-account').value.trim()) c.resourceAccount = $('f-account').value.trim();
  if (app.context.value.trim()) {
    const r = parseJson(app.context.value);
    if (!r.ok) problems.push(`context: line ${r.error.line}, column ${r.error.column}: ${r.error.message}`);
    else if (Object.keys(r.value).length) c.context = r.value;
  }
  const ids = app.identity.filter(given).map(parse);
  if (ids.length) c.identityPolicies = ids;
  if (given(app.resource)) c.resourcePolicy = parse(app.resource);
  if (given(app.boundary)) c.permissionsBoundary = parse(app.boundary);
  const ss = app.session.filter(given).map(parse);
  if (ss.length) c.sessionPolicies = ss;
  if (app.scps.length) c.scps = app.scps.map((l) => l.filter(given).map(parse));
  if (app.rcps.length) c.rcps = app.rcps.map((l) => l.filter(given).map(parse));
  if (given(app.vpce)) c.vpcEndpointPolicy = parse(app.vpce);
  Object.assign(c, app.extras);
  if (app.expect) c.expect = app.expect;
  if (problems.length) throw new Error(`the case cannot be saved until these are fixed: ${problems.join('; ')}`);
  return c;
}

function save() {
  const c = currentCase();
  const blob = new Blob([`${JSON.stringify(c, null, 2)}\n`], { type: 'application/json' });
  const url = URL.createObjectURL(blob);
  const a = h('a', { href: url, download: 'case.json' });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
  fill(banner(), h('div', { class: 'alert alert-ok', role: 'status' }, 'Saved the case as case.json.'));
}

// ---------------------------------------------------------------- evaluation

function markStale() {
  if (app.result && !app.stale) {
    app.stale = true;
    renderResult();
  }
  scheduleLive();
}

const LIVE_DELAY_MS = 700;

/** With "Live" on, evaluates again a moment after the last edit, when every input reads. */
function scheduleLive() {
  clearTimeout(app.liveTimer);
  if (!$('live').checked) return;
  app.liveTimer = setTimeout(guard(async () => {
    if (!inputsRead()) return;
    await evaluate();
  }), LIVE_DELAY_MS);
}

/** True when every panel parses and the request has its three fields (checked quietly). */
function inputsRead() {
  if (!['f-principal', 'f-action', 'f-resource'].every((id) => $(id).value.trim())) return false;
  if (app.context.value.trim() && !parseJson(app.context.value).ok) return false;
  try {
    principalValue($('f-principal').value);
  } catch {
    return false;
  }
  return sentPolicies().every((s) => {
    const r = parseJson(s.p.ed.value);
    return r.ok && (typeof r.value === 'object' || BUILTIN_NAMES.includes(r.value));
  });
}

/** Each policy sent, in the order and under the names the server gives them. */
function sentPolicies() {
  const out = [];
  const given = (p) => p && p.ed.value.trim() !== '';
  const add = (p, name, layer, label) => out.push({ p, name, layer, label });
  app.identity.filter(given).forEach((p, i) => add(p, `identityPolicies[${i}]`, 'identity', p.title));
  if (given(app.resource)) add(app.resource, 'resourcePolicy', 'resource', 'Resource-based policy');
  if (given(app.boundary)) add(app.boundary, 'permissionsBoundary', 'permissionsBoundary', 'Permissions boundary');
  app.session.filter(given).forEach((p, i) => add(p, `sessionPolicies[${i}]`, 'session', p.title));
  app.scps.forEach((level, l) => level.filter(given).forEach((p, i) => add(p, `scps[${l}][${i}]`, `scp[${l}]`, p.title)));
  app.rcps.forEach((level, l) => level.filter(given).forEach((p, i) => add(p, `rcps[${l}][${i}]`, `rcp[${l}]`, p.title)));
  if (given(app.vpce)) add(app.vpce, 'vpcEndpointPolicy', 'vpcEndpoint', 'VPC endpoint policy');
  return out;
}

/** The case as the body's text, every policy's text written verbatim so positions line up. */
function bodyText(sent) {
  const fields = [];
  const str = (k, v) => fields.push(`${JSON.stringify(k)}: ${JSON.stringify(v)}`);
  const principal = principalValue($('f-principal').value);
  str('principal', principal);
  str('action', $('f-action').value.trim());
  str('resource', $('f-resource').value.trim());
  if ($('f-account').value.trim()) str('resourceAccount', $('f-account').value.trim());
  if (app.context.value.trim()) fields.push(`"context": ${app.context.value.trim()}`);
  const text = (s) => s.p.ed.value.trim();
  const byField = (prefix) => sent.filter((s) => s.name.startsWith(prefix));
  const arr = (items) => `[\n${items.map(text).join(',\n')}\n]`;
  const levelsOf = (prefix, count) => `[\n${Array.from({ length: count }, (_, l) => arr(byField(`${prefix}[${l}][`))).join(',\n')}\n]`;
  if (byField('identityPolicies').length) fields.push(`"identityPolicies": ${arr(byField('identityPolicies'))}`);
  for (const [k] of [['resourcePolicy'], ['permissionsBoundary'], ['vpcEndpointPolicy']]) {
    const s = sent.find((x) => x.name === k);
    if (s) fields.push(`${JSON.stringify(k)}:\n${text(s)}`);
  }
  if (byField('sessionPolicies').length) fields.push(`"sessionPolicies": ${arr(byField('sessionPolicies'))}`);
  if (app.scps.length) fields.push(`"scps": ${levelsOf('scps', app.scps.length)}`);
  if (app.rcps.length) fields.push(`"rcps": ${levelsOf('rcps', app.rcps.length)}`);
  for (const [k, v] of Object.entries(app.extras || {})) str(k, v);
  return `{\n${fields.join(',\n')}\n}`;
}

function snapshotsOf(sent) {
  const snaps = new Map();
  const perLayer = new Map();
  for (const s of sent) {
    const idx = perLayer.get(s.layer) || 0;
    perLayer.set(s.layer, idx + 1);
    const raw = s.p.ed.value;
    const trimmed = raw.trim();
    const builtin = BUILTIN_NAMES.find((n) => trimmed === JSON.stringify(n));
    if (builtin) {
      const text = app.builtins[builtin];
      if (text) snaps.set(snapshotKey(s.layer, builtin, idx), { text, origin: { line: 1, column: 1 }, label: `${s.label}: ${builtin} (AWS managed)`, editable: true, p: s.p });
    } else {
      const lead = raw.length - raw.trimStart().length;
      snaps.set(snapshotKey(s.layer, s.name, idx), { text: raw, origin: positionOf(raw, lead), label: s.label, editable: true, p: s.p });
    }
  }
  return snaps;
}

/** Server errors that name a policy and a line and column, as marks in that policy's panel. */
function markServerErrors(message, sent) {
  let marked = 0;
  for (const s of sent) {
    const at = message.indexOf(`${s.name}: `);
    if (at < 0) continue;
    // The name must stand alone (identityPolicies[1] is not identityPolicies[10]).
    const rest = message.slice(at + s.name.length + 2);
    const raw = s.p.ed.value;
    const lead = raw.length - raw.trimStart().length;
    const origin = positionOf(raw, lead);
    const marks = [];
    for (const part of rest.split(/; (?=\d+:\d+: )/)) {
      const m = /^(\d+):(\d+): ([\s\S]*)$/.exec(part);
      if (!m) break;
      const [line, col] = [Number(m[1]), Number(m[2])];
      const l = line === 1 ? origin.line : origin.line + line - 1;
      const c = line === 1 ? origin.column + col - 1 : col;
      const off = offsetOf(raw, l, c);
      marks.push({ start: off, end: off + 1, kind: 'error', message: `${m[3].trim()} (from the server)` });
    }
    if (marks.length) {
      s.p.ed.setMarks('server', marks);
      marked++;
    }
  }
  return marked;
}

async function evaluate() {
  fill(banner());
  for (const id of ['f-principal', 'f-action', 'f-resource']) fill($(`${id}-err`));
  const sent = sentPolicies();
  let bad = [];
  for (const s of sent) if (!checkSyntax(s.p)) bad.push(s.label);
  if (!checkContext()) bad.push('Context keys');
  let body;
  try {
    body = bodyText(sent);
  } catch (e) {
    fill($('f-principal-err'), e.message);
    bad.push('Principal');
  }
  for (const [id, what] of [['f-action', 'an action such as s3:GetObject'], ['f-resource', 'a resource ARN or *']]) {
    if (!$(id).value.trim()) {
      fill($(`${id}-err`), `Give ${what}.`);
      bad.push(id === 'f-action' ? 'Action' : 'Resource');
    }
  }
  if (!$('f-principal').value.trim()) {
    fill($('f-principal-err'), 'Give the caller: an ARN, a service principal, or "anonymous".');
    bad.push('Principal');
  }
  if (bad.length) {
    bad = [...new Set(bad)];
    app.error = { code: 'FixInputs', message: `Fix the marked input before evaluating: ${bad.join(', ')}.` };
    renderResult();
    return;
  }
  const seq = ++app.evaluating;
  $('evaluate').setAttribute('aria-busy', 'true');
  const r = await api.explain(body);
  if (seq !== app.evaluating) return;
  $('evaluate').removeAttribute('aria-busy');
  for (const s of sent) s.p.ed.setMarks('server', []);
  if (!r.ok) {
    const located = markServerErrors(r.error.message || '', sent);
    app.error = { ...r.error, located: located || locateRequestError(r.error.message || '') };
    renderResult();
    return;
  }
  app.error = null;
  app.result = r.data.EvaluationResults[0];
  app.evaluations = (app.evaluations || 0) + 1;
  app.resultExpect = app.expect;
  app.snapshots = snapshotsOf(sent);
  app.stale = false;
  const nodes = flowNodes(app.result);
  if (!app.selected || !nodes.some((n) => n.id === app.selected)) {
    const pick = nodes.find((n) => n.kind === 'layer' && n.deciding) || nodes.find((n) => n.id === 'deny');
    app.selected = pick.id;
  }
  renderResult();
  // Tests and scripts wait on this count.
  document.body.dataset.evaluations = String(app.evaluations);
}

/** Shows a server error about the request beside the field it concerns; true if it did. */
function locateRequestError(message) {
  const field = [
    [/^principal\b/i, 'f-principal'],
    [/^(resource `|resource\b(?!-based))/i, 'f-resource'],
    [/^resourceAccount\b|resource account/i, 'f-account'],
    [/^(action\b|unknown (action|service))/i, 'f-action'],
  ].find(([re]) => re.test(message));
  if (field) {
    fill($(`${field[1]}-err`), message);
    return true;
  }
  const ctx = /^context key `([^`]*)`/.exec(message);
  if (ctx) {
    const text = app.context.value;
    const at = text.indexOf(JSON.stringify(ctx[1]));
    app.context.setMarks('server', [{ start: Math.max(0, at), end: Math.max(1, at + ctx[1].length + 2), kind: 'error', message: `${message} (from the server)` }]);
    return true;
  }
  return false;
}

function renderResult() {
  const errEl = $('result-error');
  if (app.error) {
    fill(errEl, h('div', { class: 'alert alert-error', role: 'alert', 'data-testid': 'result-error' },
      h('strong', {}, app.error.code === 'FixInputs' ? 'Not evaluated. ' : `${app.error.code}: `), app.error.message,
      app.error.located ? h('p', {}, 'The input concerned shows where.') : null,
      app.result ? h('p', { class: 'muted' }, 'The result below is from the last successful evaluation.') : null));
  } else {
    fill(errEl);
  }
  const flowEl = $('flow');
  if (!app.result) {
    fill(flowEl, h('p', { class: 'placeholder' }, 'Open an example or write a request and policies, then press Evaluate (Ctrl+Enter).'));
    fill($('verdict'));
    fill($('details'));
    return;
  }
  flowEl.classList.toggle('stale', app.stale || !!app.error);
  const nodes = flowNodes(app.result);
  const select = (n) => {
    app.selected = n.id;
    renderResult();
    // Focus stays on the box (so the next box is one Tab away); the details come into view and
    // are announced.
    $('details').scrollIntoView({ block: 'nearest' });
    fill($('sr-status'), `Showing the details of ${n.title}.`);
  };
  const svg = drawFlow(nodes, { onSelect: guard(select), selected: app.selected });
  const focused = document.activeElement && document.activeElement.closest && document.activeElement.closest('[data-node]');
  const focusedId = focused && focused.dataset.node;
  fill(flowEl, svg);
  if (focusedId) {
    const again = flowEl.querySelector(`[data-node="${CSS.escape(focusedId)}"]`);
    if (again) again.focus({ preventScroll: true });
  }
  renderVerdict($('verdict'), app.result, {
    stale: app.stale,
    expect: app.resultExpect,
    labelOf: (name) => (app.snapshots.get(name) || {}).label || name,
    onApplyFix: guard(applyFix),
    onAddContextKey: guard(addContextKey),
    onSelectLayer: guard((layer) => {
      app.selected = `layer:${layer}`;
      renderResult();
      $('details').scrollIntoView({ block: 'nearest' });
      const d = $('details-h');
      if (d) d.focus({ preventScroll: true });
    }),
  });
  const node = nodes.find((n) => n.id === app.selected) || nodes[0];
  renderDetails($('details'), node, app.result, app.snapshots, { onEdit: guard(focusPolicy) });
}

/** Adds a condition key the policies read to the context, and puts the caret on its value. */
function addContextKey(key) {
  const r = parseJson(app.context.value.trim() || '{}');
  if (!r.ok || typeof r.value !== 'object' || r.value === null || Array.isArray(r.value)) {
    app.context.focusAt(0);
    return;
  }
  if (!(key in r.value)) r.value[key] = '';
  const text = JSON.stringify(r.value, null, 2);
  app.context.value = text;
  checkContext();
  const at = text.indexOf(`${JSON.stringify(key)}: `) + JSON.stringify(key).length + 3;
  app.context.focusAt(at);
  markStale();
}

function focusPolicy(key) {
  const snap = app.snapshots.get(key);
  if (!snap) return;
  const panel = snap.p.ed.el.closest('details');
  if (panel) panel.open = true;
  snap.p.ed.textarea.scrollIntoView({ block: 'center' });
  snap.p.ed.focusAt(0);
}

/**
 * The panel an edit of the fix concerns: `{p}` for one the page has, or `{make}` that adds a new
 * one, called only once the fix is being applied (a cancelled fix leaves the panels as they were).
 */
function fixTarget(edit) {
  const layer = edit.layer;
  for (const [key, snap] of app.snapshots) {
    if (key === edit.policy) return { p: snap.p };
    if (BUILTIN_NAMES.includes(edit.policy) && key.startsWith(`${layer}#`) && snap.label.includes(edit.policy)) return { p: snap.p };
  }
  const t = layerType(layer);
  const level = Number((/\[(\d+)\]/.exec(layer) || [0, 0])[1]);
  const adder = (list, kind) => ({ make: () => { const p = policyEditor(kind, ''); list.push(p); return p; } });
  if (t === 'identity') return adder(app.identity, 'identity');
  if (t === 'session') return adder(app.session, 'session');
  if (t === 'scp' && app.scps[level]) return adder(app.scps[level], 'scp');
  if (t === 'rcp' && app.rcps[level]) return adder(app.rcps[level], 'rcp');
  const single = { resource: app.resource, permissionsBoundary: app.boundary, vpcEndpoint: app.vpce }[t];
  if (single) return { p: single };
  throw new Error(`the fix edits ${edit.policy} (${layer}), which has no panel here`);
}

/**
 * Applies one of the ranked fixes and evaluates again: a request fix sets its context values in
 * the context editor, a grant puts each edit's `policyAfter` in its panel (or a new one), a
 * weakening does the same only after the person has confirmed what it weakens.
 */
async function applyFix(fix) {
  if (!canApply(fix)) throw new Error('this fix cannot be applied in the page: it needs the policies of another principal');
  if (app.stale) throw new Error('the inputs changed since this fix was computed: evaluate again (Ctrl+Enter), then apply the fix of the new result');
  // Everything is checked before anything changes: a fix is applied whole or not at all.
  const context = Object.entries(fix.context || {});
  const ctx = context.length ? contextWith(context) : null;
  const targets = (fix.edits || []).map((e) => [e, fixTarget(e)]);
  if (fix.kind === 'weakening' && !(await confirmWeakening(fix))) {
    fill(banner(), h('div', { class: 'alert alert-ok', role: 'status', 'data-testid': 'weaken-cancelled' }, 'The weakening was not applied: the policies are as they were.'));
    return;
  }
  const done = [];
  if (ctx !== null) {
    app.context.value = ctx;
    checkContext();
    done.push(`the request now carries ${context.map(([k, v]) => `${k} = ${v}`).join(', ')}`);
  }
  for (const pair of targets) {
    const [edit, t] = pair;
    const target = t.p || t.make();
    pair[1] = target;
    target.ed.value = newPolicyText(edit);
    checkSyntax(target);
    scheduleLint(target, 0);
  }
  if (targets.length) {
    renderPanels();
    for (const [, target] of targets) {
      const d = target.ed.el.closest('details');
      if (d) d.open = true;
    }
    done.push(`${fix.kind === 'weakening' ? 'weakened' : 'edited'} ${targets.map(([e, t]) => t.title || e.policy).join(', ')}`);
  }
  await evaluate();
  const words = done.join('; ');
  fill(banner(), h('div', { class: 'alert alert-ok', role: 'status', 'data-testid': 'fix-applied' }, `Applied the fix: ${words}; evaluated again.`));
}

/** The edit's text for its panel; a new default SCP or RCP is written as AWS's name for it. */
function newPolicyText(edit) {
  const after = edit.policyAfter.replace(/\n$/, '');
  if (BUILTIN_NAMES.includes(edit.policy) && app.builtins[edit.policy] && app.builtins[edit.policy].trim() === after.trim()) return JSON.stringify(edit.policy);
  return after;
}

/** The context editor's object with the fix's values set (a key is one key whatever its case). */
function contextWith(entries) {
  const text = app.context.value.trim() || '{}';
  const r = parseJson(text);
  if (!r.ok || typeof r.value !== 'object' || r.value === null || Array.isArray(r.value)) {
    checkContext();
    throw new Error('the context keys are not a JSON object, so the fix cannot set its values: correct them first');
  }
  const obj = r.value;
  for (const [key, value] of entries) {
    for (const k of Object.keys(obj)) if (k.toLowerCase() === key.toLowerCase()) delete obj[k];
    obj[key] = value;
  }
  return JSON.stringify(obj, null, 2);
}

/** Asks, in the page's dialog, whether to apply a weakening; resolves true only when confirmed. */
function confirmWeakening(fix) {
  const dlg = $('weaken-dialog');
  fill($('weaken-body'), weakeningWords(fix, (name) => (app.snapshots.get(name) || {}).label || name));
  dlg.returnValue = '';
  return new Promise((resolve) => {
    dlg.addEventListener('close', () => resolve(dlg.returnValue === 'apply'), { once: true });
    dlg.showModal();
    $('weaken-cancel').focus();
  });
}

// ---------------------------------------------------------------- wiring

function guard(f) {
  return (...args) => {
    try {
      const r = f(...args);
      if (r && typeof r.then === 'function') return r.catch((e) => showError(banner(), e));
      return r;
    } catch (e) {
      showError(banner(), e);
      return undefined;
    }
  };
}

function pasteDialog() {
  const dlg = $('paste-dialog');
  const ed = new Editor({ label: 'Case file to load', value: '', maxRows: 18, onInput: () => fill($('paste-error')) });
  fill($('paste-editor'), ed.el);
  $('paste-case').addEventListener('click', () => {
    fill($('paste-error'));
    dlg.showModal();
    ed.textarea.focus();
  });
  $('paste-cancel').addEventListener('click', () => dlg.close());
  $('paste-load').addEventListener('click', guard(async () => {
    const r = loadFileText(ed.value, 'pasted case');
    if (!r.ok) {
      const e = r.error;
      if (e.offset !== undefined) ed.setMarks('syntax', [{ start: e.offset, end: e.offset + 1, kind: 'error', message: e.message }]);
      fill($('paste-error'), h('p', { class: 'alert alert-error', role: 'alert' }, e.line ? `Line ${e.line}, column ${e.column}: ${e.message}` : e.message));
      return;
    }
    dlg.close();
    await evaluate();
  }));
}

function weakenDialog() {
  const dlg = $('weaken-dialog');
  $('weaken-cancel').addEventListener('click', () => dlg.close('cancel'));
  $('weaken-apply').addEventListener('click', () => dlg.close('apply'));
}

function fileInput() {
  const input = $('file-input');
  $('open-file').addEventListener('click', () => input.click());
  input.addEventListener('change', guard(async () => {
    const f = input.files && input.files[0];
    if (!f) return;
    const text = await f.text();
    const r = loadFileText(text, f.name);
    input.value = '';
    if (!r.ok) {
      const e = r.error;
      fill(banner(), h('div', { class: 'alert alert-error', role: 'alert' }, `${f.name}: `, e.line ? `line ${e.line}, column ${e.column}: ` : '', e.message));
      return;
    }
    await evaluate();
  }));
}

async function start() {
  window.addEventListener('error', (e) => showError(banner(), e.error || e.message));
  window.addEventListener('unhandledrejection', (e) => showError(banner(), e.reason));
  requestPanel();
  $('evaluate').addEventListener('click', guard(async () => {
    await evaluate();
    // On a phone the result sits above the inputs: bring it into view.
    if (window.matchMedia('(max-width: 899px)').matches) $('verdict').scrollIntoView({ block: 'start' });
  }));
  $('save-case').addEventListener('click', guard(save));
  document.addEventListener('keydown', (e) => {
    if ((e.ctrlKey || e.metaKey) && e.key === 'Enter') {
      e.preventDefault();
      guard(evaluate)();
    }
    if (e.key === 'Escape' && $('examples-menu').open) {
      $('examples-menu').open = false;
      $('examples-menu').querySelector('summary').focus();
    }
  });
  document.addEventListener('click', (e) => {
    const menu = $('examples-menu');
    if (menu.open && !menu.contains(e.target)) menu.open = false;
  });
  pasteDialog();
  weakenDialog();
  fileInput();
  renderPanels();
  renderResult();
  const b = await api.builtin();
  if (b.ok) app.builtins = b.data;
  await renderExamplesMenu();
  window.addEventListener('hashchange', guard(async () => {
    const h = /^#example=([\w-]+)\/(\d+)$/.exec(decodeURIComponent(location.hash));
    const file = h && `examples/org/${h[1]}.json`;
    if (h && !(app.file && app.file.name === file && app.caseIndex === Number(h[2]))) await openExample(h[1], Number(h[2]));
  }));
  const m = /^#example=([\w-]+)\/(\d+)$/.exec(decodeURIComponent(location.hash));
  try {
    if (m) await openExample(m[1], Number(m[2]));
    else await openExample('prod-backups', 0);
  } finally {
    document.body.dataset.ready = 'true';
  }
}

guard(start)().finally(() => {
  document.body.dataset.ready = 'true';
});
