// The denial trends page: the CloudTrail files the user picks are read and counted here, in the
// browser; nothing is uploaded or sent anywhere. Denials are counted by principal, action, error
// code and hour, drawn as a chart of denials per hour (SVG drawn by hand, so the page works
// offline), and the top patterns (principal, action, error code) are listed; with baseline files,
// the patterns not seen in them are marked new. Decision D160 says what is counted and how.

import { fill, h, s } from './dom.js';

const $ = (id) => document.getElementById(id);

/**
 * The error codes of denials by authorization, with or without EC2's `Client.` prefix: the list
 * `iamspect replay` and `replay --summary` use (`DENIAL_CODES` in
 * crates/iamspect-replay/src/events.rs; a test there checks that this list is the same).
 */
export const DENIAL_CODES = [
  'AccessDenied',
  'AccessDeniedException',
  'UnauthorizedOperation',
  'VpceAccessDenied',
  'AuthorizationError',
  'AuthorizationErrorException',
  'UnauthorizedAccess',
];

/** The record's `errorCode` if it is an authorization denial, else null. */
export function denialCode(record) {
  const code = record.errorCode;
  if (typeof code !== 'string') return null;
  const bare = code.startsWith('Client.') ? code.slice('Client.'.length) : code;
  return DENIAL_CODES.includes(bare) ? code : null;
}

const isRecord = (v) => v !== null && typeof v === 'object' && !Array.isArray(v)
  && typeof v.eventSource === 'string' && typeof v.eventName === 'string';

/** The records of one parsed document, as `iamspect replay` reads them; throws with what is wrong. */
export function recordsOf(v) {
  if (Array.isArray(v)) {
    const bad = v.findIndex((x) => !isRecord(x));
    if (bad >= 0) throw new Error(`an array must hold CloudTrail records (objects with \`eventSource\` and \`eventName\`); item ${bad} is not one`);
    return v;
  }
  if (v === null || typeof v !== 'object') throw new Error('not CloudTrail events: the file holds neither an object nor an array');
  if ('Records' in v) {
    if (!Array.isArray(v.Records)) throw new Error('`Records` must be an array of CloudTrail records');
    const bad = v.Records.findIndex((x) => x === null || typeof x !== 'object' || Array.isArray(x));
    if (bad >= 0) throw new Error(`\`Records[${bad}]\` is not a record`);
    return v.Records;
  }
  if ('Events' in v) {
    if (!Array.isArray(v.Events)) throw new Error('`Events` must be an array (as `aws cloudtrail lookup-events` prints it)');
    return v.Events.map((e, i) => {
      const ct = e && e.CloudTrailEvent;
      if (typeof ct === 'string') {
        try {
          return JSON.parse(ct);
        } catch (err) {
          throw new Error(`\`Events[${i}].CloudTrailEvent\` is not JSON: ${err.message}`);
        }
      }
      if (ct && typeof ct === 'object' && !Array.isArray(ct)) return ct;
      throw new Error(`\`Events[${i}]\` has no \`CloudTrailEvent\``);
    });
  }
  if ('QueryResultRows' in v) {
    throw new Error('CloudTrail Lake query results are read by `iamspect replay --summary`, not by this page');
  }
  if (isRecord(v)) return [v];
  throw new Error('not CloudTrail events: expected `Records` (a log file), `Events` (lookup-events output) or a record');
}

/** The file's text, gunzipped in the browser when it starts with gzip's magic bytes. */
async function fileText(file) {
  const bytes = new Uint8Array(await file.arrayBuffer());
  let data = bytes;
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'));
      data = new Uint8Array(await new Response(stream).arrayBuffer());
    } catch (e) {
      throw new Error(`not valid gzip: ${e.message}`);
    }
  }
  let text;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(data);
  } catch {
    throw new Error('not UTF-8 text');
  }
  return text.replace(/^\uFEFF/, '');
}

/** The records of one file; throws `NAME: what is wrong`, one line. */
export async function readFile(file) {
  try {
    const text = await fileText(file);
    let v;
    try {
      v = JSON.parse(text);
    } catch (e) {
      throw new Error(`invalid JSON: ${e.message}`);
    }
    return recordsOf(v);
  } catch (e) {
    throw new Error(`${file.name}: ${String(e.message).split('\n')[0]}`);
  }
}

/** Who was denied: `userIdentity.arn`, or the service that called (`invokedBy`). */
export function principalOf(r) {
  const ui = r.userIdentity || {};
  if (typeof ui.arn === 'string' && ui.arn) return ui.arn;
  if (ui.type === 'AWSService' && typeof ui.invokedBy === 'string') return ui.invokedBy;
  return `(no userIdentity.arn${ui.type ? `, type ${ui.type}` : ''})`;
}

/** The API operation as `service:EventName` (the IAM action it needs may differ). */
export function actionOf(r) {
  if (typeof r.eventSource !== 'string' || typeof r.eventName !== 'string') return '(unknown)';
  return `${r.eventSource.replace(/\.amazonaws\.com$/, '')}:${r.eventName}`;
}

/** The hour of `eventTime`, as `replay --summary` writes it: `2026-11-20T10:00Z`. */
export function hourOf(r) {
  const t = r.eventTime;
  return typeof t === 'string' && t.length >= 13 ? `${t.slice(0, 13)}:00Z` : '(no time)';
}

const patternKey = (p) => JSON.stringify([p.principal, p.action, p.errorCode]);

/** Counts, over the records of every file; identical denial records count once. */
export function tally(recordLists, baseline) {
  const t = {
    records: 0,
    denials: 0,
    duplicates: 0,
    byPrincipal: new Map(),
    byAction: new Map(),
    byErrorCode: new Map(),
    byHour: new Map(),
    newByHour: new Map(),
    patterns: new Map(),
  };
  const seen = new Set();
  const bump = (m, k) => m.set(k, (m.get(k) || 0) + 1);
  for (const records of recordLists) {
    for (const r of records) {
      t.records += 1;
      const errorCode = denialCode(r);
      if (!errorCode) continue;
      const text = JSON.stringify(r);
      if (seen.has(text)) {
        t.duplicates += 1;
        continue;
      }
      seen.add(text);
      const p = { principal: principalOf(r), action: actionOf(r), errorCode };
      const hour = hourOf(r);
      t.denials += 1;
      bump(t.byPrincipal, p.principal);
      bump(t.byAction, p.action);
      bump(t.byErrorCode, errorCode);
      bump(t.byHour, hour);
      const key = patternKey(p);
      const pat = t.patterns.get(key) || { ...p, count: 0, isNew: baseline ? !baseline.patterns.has(key) : false };
      pat.count += 1;
      t.patterns.set(key, pat);
      if (pat.isNew) bump(t.newByHour, hour);
    }
  }
  return t;
}

/** Most first, ties by key (as `replay --summary` sorts them). */
const sorted = (m) => [...m.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));

/** The chart: one bar per hour (in time order), the part from new patterns in the deny colour. */
/** Hours with no denial between the first and the last are drawn too (as empty bars), so that a
 *  spike reads as one; beyond this many hours only the hours with denials are drawn. */
const MAX_FILLED_HOURS = 24 * 92;

/** The hours to draw: every hour from the first to the last, then `(no time)` if any. */
export function hoursOf(byHour) {
  const keys = [...byHour.keys()];
  const timed = keys.filter((k) => k !== '(no time)').sort();
  const untimed = keys.length > timed.length ? ['(no time)'] : [];
  const ms = timed.map((k) => Date.parse(k.replace(/:00Z$/, ':00:00Z')));
  if (timed.length < 2 || ms.some(Number.isNaN)) return { hours: [...timed, ...untimed], filled: false };
  const span = (ms[ms.length - 1] - ms[0]) / 3600000 + 1;
  if (span > MAX_FILLED_HOURS) return { hours: [...timed, ...untimed], filled: false };
  const all = [];
  for (let t = ms[0]; t <= ms[ms.length - 1]; t += 3600000) all.push(new Date(t).toISOString().slice(0, 13) + ':00Z');
  return { hours: [...all, ...untimed], filled: true };
}

function chart(t) {
  const { hours, filled } = hoursOf(t.byHour);
  const max = Math.max(1, ...t.byHour.values());
  const W = 960;
  const H = 240;
  const left = 48;
  const bottom = 40;
  const plotW = W - left - 10;
  const plotH = H - bottom - 14;
  const step = plotW / Math.max(1, hours.length);
  const barW = Math.min(48, Math.max(1, step * 0.8));
  const svg = s('svg', {
    class: 'denials-chart',
    viewBox: `0 0 ${W} ${H}`,
    role: 'img',
    'aria-label': `denials per hour: ${hours.length} hours${filled ? '' : ' with denials'}, at most ${max} in one hour`,
    dataset: { testid: 'denials-chart' },
  });
  svg.append(
    s('line', { class: 'axis', x1: left, y1: 14, x2: left, y2: 14 + plotH }),
    s('line', { class: 'axis', x1: left, y1: 14 + plotH, x2: W - 10, y2: 14 + plotH }),
    s('text', { class: 'tick', x: left - 6, y: 18, 'text-anchor': 'end' }, String(max)),
    s('text', { class: 'tick', x: left - 6, y: 14 + plotH, 'text-anchor': 'end' }, '0'),
  );
  const labelEvery = Math.max(1, Math.ceil(hours.length / 6));
  hours.forEach((hour, i) => {
    const n = t.byHour.get(hour) || 0;
    const fresh = t.newByHour.get(hour) || 0;
    const x = left + i * step + (step - barW) / 2;
    const hAll = (n / max) * plotH;
    const hNew = (fresh / max) * plotH;
    const y0 = 14 + plotH;
    svg.append(
      s('g', { class: 'bar', dataset: { hour, count: n, new: fresh } },
        s('title', {}, `${hour}: ${n} denial${n === 1 ? '' : 's'}${fresh ? `, ${fresh} of new patterns` : ''}`),
        s('rect', { class: 'bar-all', x, y: y0 - hAll, width: barW, height: hAll }),
        fresh ? s('rect', { class: 'bar-new', x, y: y0 - hNew, width: barW, height: hNew }) : null),
    );
    if (i % labelEvery === 0 || i === hours.length - 1) {
      svg.append(s('text', { class: 'tick', x: x + barW / 2, y: H - 22, 'text-anchor': 'middle' },
        hour === '(no time)' ? hour : hour.slice(5, 13).replace('T', ' ') + 'h'));
    }
  });
  return svg;
}

function table(title, rows, testid) {
  return h('div', { class: 'card', dataset: { testid } },
    h('h3', {}, title),
    h('table', { class: 'denials-table' },
      h('tbody', {}, rows.slice(0, 10).map(([k, n]) => h('tr', {}, h('td', { class: 'num' }, String(n)), h('td', { class: 'mono' }, k))))));
}

function render(t, baseline, files) {
  const out = $('denials-result');
  const patterns = [...t.patterns.values()].sort((a, b) => b.count - a.count || (patternKey(a) < patternKey(b) ? -1 : 1));
  const fresh = patterns.filter((p) => p.isNew);
  const head = h('p', { dataset: { testid: 'denials-summary' } },
    h('strong', {}, `${t.denials} denied event${t.denials === 1 ? '' : 's'}`),
    ` of ${t.records} record${t.records === 1 ? '' : 's'} in ${files} file${files === 1 ? '' : 's'}`,
    t.duplicates ? ` (${t.duplicates} duplicate record${t.duplicates === 1 ? '' : 's'} counted once)` : '',
    baseline ? `; ${fresh.length} pattern${fresh.length === 1 ? '' : 's'} new against the baseline (${baseline.denials} denial${baseline.denials === 1 ? '' : 's'})` : '',
    '.');
  if (t.denials === 0) {
    fill(out, h('div', { class: 'card' }, head, h('p', { class: 'muted' }, 'No authorization denial in these files.')));
    return;
  }
  const list = h('div', { class: 'card', dataset: { testid: 'top-patterns' } },
    h('h3', {}, 'Top patterns (principal, action, error code)'),
    h('table', { class: 'denials-table' },
      h('tbody', {}, patterns.slice(0, 20).map((p) => h('tr', { class: p.isNew ? 'pattern-new' : '' },
        h('td', { class: 'num' }, String(p.count)),
        h('td', { class: 'mono' }, p.principal),
        h('td', { class: 'mono' }, p.action),
        h('td', { class: 'mono' }, p.errorCode),
        h('td', {}, p.isNew ? h('span', { class: 'badge-new' }, 'new') : ''))))));
  fill(out,
    h('div', { class: 'card' }, head,
      h('h3', {}, 'Denials per hour'),
      chart(t),
      baseline ? h('p', { class: 'hint' }, h('span', { class: 'swatch swatch-new' }), ' denials of patterns not in the baseline') : null),
    list,
    h('div', { class: 'denials-grid' },
      table('By principal', sorted(t.byPrincipal), 'by-principal'),
      table('By action (service:EventName)', sorted(t.byAction), 'by-action'),
      table('By error code', sorted(t.byErrorCode), 'by-error-code')));
}

async function readAll(files) {
  const lists = [];
  for (const f of files) lists.push(await readFile(f));
  return lists;
}

async function count(e) {
  e.preventDefault();
  const out = $('denials-result');
  const files = [...$('d-files').files];
  const baseFiles = [...$('d-baseline').files];
  if (files.length === 0) {
    fill(out, h('div', { class: 'alert alert-error', role: 'alert' }, 'Pick CloudTrail files to count.'));
    return;
  }
  fill(out, h('p', {}, 'Reading…'));
  try {
    let baseline = null;
    if (baseFiles.length) {
      const b = tally(await readAll(baseFiles), null);
      baseline = { denials: b.denials, patterns: new Set(b.patterns.keys()) };
    }
    const t = tally(await readAll(files), baseline);
    render(t, baseline, files.length);
  } catch (err) {
    fill(out, h('div', { class: 'alert alert-error', role: 'alert', dataset: { testid: 'denials-error' } }, err.message));
  }
}

function start() {
  $('denials-form').addEventListener('submit', count);
  document.body.dataset.ready = 'true';
}

start();
