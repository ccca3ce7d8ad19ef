// Case files (shared/spec/case-format.md) in and out of the page's model.

import { parseJson } from './jsonpos.js';

export const BUILTIN_NAMES = ['FullAWSAccess', 'RCPFullAWSAccess'];

/** The fields the page edits; any other field of a case is kept and sent as it is. */
const EDITED = new Set([
  'description', 'principal', 'action', 'resource', 'resourceAccount', 'context', 'identityPolicies',
  'resourcePolicy', 'permissionsBoundary', 'sessionPolicies', 'scps', 'rcps', 'vpcEndpointPolicy', 'expect',
]);

/** A policy as editor text: a document pretty-printed, a built-in name as a JSON string. */
export function policyText(p) {
  return JSON.stringify(p, null, 2);
}

/**
 * Reads a case file's text. Returns {ok: true, file: {description, cases: [case]}} with each case's
 * library references resolved, or {ok: false, error} (located when it is a JSON error).
 */
export function readCaseFile(text) {
  const parsed = parseJson(text);
  if (!parsed.ok) return { ok: false, error: parsed.error };
  const v = parsed.value;
  if (!v || typeof v !== 'object' || Array.isArray(v)) return { ok: false, error: { message: 'a case file must hold a JSON object: one case, or {"cases": [...]}' } };
  const library = v.policies && typeof v.policies === 'object' ? v.policies : {};
  const cases = Array.isArray(v.cases) ? v.cases : [v];
  if (!cases.length) return { ok: false, error: { message: 'the file has no cases' } };
  const out = [];
  for (const [i, c] of cases.entries()) {
    if (!c || typeof c !== 'object' || Array.isArray(c)) return { ok: false, error: { message: `case ${i} is not an object` } };
    try {
      out.push(resolveCase(c, library));
    } catch (e) {
      return { ok: false, error: { message: `case ${i}: ${e.message}` } };
    }
  }
  return { ok: true, file: { description: v.description || '', cases: out } };
}

function resolvePolicy(p, library, where) {
  if (typeof p !== 'string') return p;
  if (BUILTIN_NAMES.includes(p)) return p;
  if (Object.prototype.hasOwnProperty.call(library, p)) {
    const entry = library[p];
    if (typeof entry === 'string') throw new Error(`${where}: the library entry \`${p}\` is the path \`${entry}\`; the page reads no files, so paste the policy document in its place`);
    return entry;
  }
  if (p.endsWith('.json')) throw new Error(`${where}: \`${p}\` is a file path; the page reads no files, so paste the policy document in its place`);
  throw new Error(`${where}: \`${p}\` is not a policy of the file's \`policies\`, FullAWSAccess or RCPFullAWSAccess`);
}

function resolveCase(c, library) {
  const r = { ...c };
  for (const f of ['resourcePolicy', 'permissionsBoundary', 'vpcEndpointPolicy']) {
    if (r[f] !== undefined) r[f] = resolvePolicy(r[f], library, f);
  }
  for (const f of ['identityPolicies', 'sessionPolicies']) {
    if (r[f] !== undefined) {
      if (!Array.isArray(r[f])) throw new Error(`\`${f}\` must be an array of policies`);
      r[f] = r[f].map((p, i) => resolvePolicy(p, library, `${f}[${i}]`));
    }
  }
  for (const f of ['scps', 'rcps']) {
    if (r[f] !== undefined) {
      if (!Array.isArray(r[f]) || !r[f].every(Array.isArray)) throw new Error(`\`${f}\` must be an array of levels, each an array of policies`);
      r[f] = r[f].map((level, l) => level.map((p, i) => resolvePolicy(p, library, `${f}[${l}][${i}]`)));
    }
  }
  return r;
}

/** A resolved case object as the page's model: texts for every editor. */
export function caseToModel(c) {
  const extras = {};
  for (const [k, v] of Object.entries(c)) if (!EDITED.has(k)) extras[k] = v;
  return {
    description: c.description || '',
    principal: typeof c.principal === 'string' ? c.principal : c.principal === undefined ? '' : JSON.stringify(c.principal),
    action: c.action || '',
    resource: c.resource || '',
    resourceAccount: c.resourceAccount || '',
    context: c.context && Object.keys(c.context).length ? JSON.stringify(c.context, null, 2) : '{}',
    identity: (c.identityPolicies || []).map(policyText),
    resourcePolicy: c.resourcePolicy === undefined ? '' : policyText(c.resourcePolicy),
    boundary: c.permissionsBoundary === undefined ? '' : policyText(c.permissionsBoundary),
    session: (c.sessionPolicies || []).map(policyText),
    scps: c.scps ? c.scps.map((level) => level.map(policyText)) : null,
    rcps: c.rcps ? c.rcps.map((level) => level.map(policyText)) : null,
    vpce: c.vpcEndpointPolicy === undefined ? '' : policyText(c.vpcEndpointPolicy),
    extras,
    expect: c.expect,
  };
}

/** The principal field: an ARN or name, or a JSON object written in the field. */
export function principalValue(text) {
  const t = text.trim();
  if (t.startsWith('{')) {
    const p = parseJson(t);
    if (!p.ok) throw Object.assign(new Error(`principal: ${p.error.message} (column ${p.error.column})`), { field: 'principal' });
    return p.value;
  }
  return t;
}
