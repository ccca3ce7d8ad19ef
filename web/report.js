// The words beside the flow: the decision, AWS's error, counterfactuals and the proved fix; and
// the details of a selected box: its policies' statements, highlighted in the policy text.

import { h, fill, DECISION_WORDS } from './dom.js';
import { codeView } from './editor.js';
import { offsetOf } from './jsonpos.js';
import { layerType } from './flow.js';

const TYPE_WORDS = {
  identity: 'identity-based policies',
  resource: 'the resource-based policy',
  permissionsBoundary: 'the permissions boundary',
  session: 'session policies',
  scp: 'SCPs',
  rcp: 'RCPs',
  vpcEndpoint: 'the VPC endpoint policy',
  s3Acl: 'the S3 ACL',
  s3BlockPublicAccess: 'S3 Block Public Access',
};

export function layerWords(layer) {
  const t = layerType(layer);
  if (t === 'scp' || t === 'rcp') return `${t.toUpperCase()}s, level ${layer.slice(4, -1)}`;
  return TYPE_WORDS[t] || layer;
}

function values(vs) {
  if (vs === null || vs === undefined) return 'nothing';
  return vs.length === 1 ? JSON.stringify(vs[0]) : `[${vs.map((v) => JSON.stringify(v)).join(', ')}]`;
}

/** One line saying what a traced statement did. */
export function describeStatement(st) {
  const c = st.condition;
  switch (st.outcome) {
    case 'matched':
      return st.applied ? `${st.effect} applies: every element matches` : 'matches';
    case 'actionNotMatched':
      return 'skipped: the action does not match';
    case 'resourceNotMatched':
      return 'skipped: the resource does not match';
    case 'principalNotMatched':
      return 'skipped: the principal does not match';
    case 'conditionFailed':
      return c
        ? `skipped: condition ${c.operator} ${c.key} ${values(c.policyValues)} is false; the request has ${c.requestValues ? values(c.requestValues) : 'no such key'}`
        : 'skipped: a condition is false';
    case 'conditionTypeError':
      return c
        ? `${st.effect === 'Deny' ? 'applies (fails closed)' : 'skipped'}: ${c.operator} cannot read the request's ${c.key} (${values(c.requestValues)})`
        : 'a condition cannot read the request value';
    default:
      return st.outcome;
  }
}

/** The decision card and everything AWS and iamspect say about it. */
export function renderVerdict(el, result, { onApplyFix, onSelectLayer, onAddContextKey, stale, expect, labelOf = (n) => n }) {
  const ia = result.iamspect || {};
  const d = result.EvalDecision;
  const parts = [];
  parts.push(
    h(
      'section',
      { class: ['verdict-card', `verdict-${d}`], 'aria-labelledby': 'verdict-h', 'data-decision': d },
      h('p', { class: 'eyebrow' }, `${result.EvalActionName} · ${result.EvalResourceName}`),
      h('h2', { id: 'verdict-h', class: 'decision', tabindex: '-1' }, d === 'allowed' ? 'Allowed' : `Denied · ${DECISION_WORDS[d].toLowerCase()}`),
      ia.deniedBy && ia.deniedBy.length
        ? h('p', { class: 'denied-by' }, 'Denied by ', ia.deniedBy.map((t) => h('span', { class: 'tag tag-deny' }, TYPE_WORDS[t] || t)))
        : null,
      expect && expect.decision
        ? h('p', { class: ['expect-note', expect.decision === d ? 'expect-ok' : 'expect-bad'], 'data-testid': 'expect' },
            expect.decision === d ? '✓ as the case expects' : `✗ the case expects ${DECISION_WORDS[expect.decision] || expect.decision}`)
        : null,
      result.EvalDecisionDetails && Object.keys(result.EvalDecisionDetails).length
        ? h('p', { class: 'cross-account' }, 'Cross-account, so both sides must allow: ',
            Object.entries(result.EvalDecisionDetails).map(([k, v]) => h('span', { class: 'side' }, `${k} `, decisionTag(v))))
        : null,
      stale ? h('p', { class: 'stale-note', role: 'status' }, 'The inputs changed since this result: press Evaluate (Ctrl+Enter) to decide again.') : null,
    ),
  );
  if (ia.message) {
    parts.push(
      h(
        'section',
        { class: 'card', 'aria-labelledby': 'msg-h' },
        h('h3', { id: 'msg-h' }, 'What AWS answers'),
        ia.errorCode ? h('p', { class: 'error-code' }, h('code', {}, ia.errorCode.code), ` · HTTP ${ia.errorCode.httpStatus}`) : null,
        h('pre', { class: 'aws-message', 'data-testid': 'aws-message' }, ia.message),
      ),
    );
  }
  const deciding = ia.decidingStatements || [];
  if (deciding.length) {
    parts.push(
      h(
        'section',
        { class: 'card', 'aria-labelledby': 'dec-h' },
        h('h3', { id: 'dec-h' }, d === 'allowed' ? 'Statements that allow' : 'Statements that deny'),
        h('ul', { class: 'plain' }, deciding.map((s) =>
          h('li', {}, h('button', { type: 'button', class: 'linkish', onclick: () => onSelectLayer(s.layer) },
            `${s.sid ? `"${s.sid}"` : `statement ${s.statement}`} (${s.effect}) in ${labelOf(s.policy)}`),
            h('span', { class: 'muted' }, ` · ${layerWords(s.layer)}, line ${s.start.line}`)))),
      ),
    );
  }
  const cf = [];
  for (const w of ia.withoutStatement || []) {
    cf.push(h('li', {}, `Without ${w.sid ? `"${w.sid}"` : `statement ${w.statement}`} of ${labelOf(w.policy)}: `, decisionTag(w.decision)));
  }
  for (const c of ia.contextChanges || []) {
    const what = c.value === null || c.value === undefined ? `without ${c.key}` : `with ${c.key} = ${JSON.stringify(c.value)}`;
    cf.push(h('li', {}, `${what[0].toUpperCase()}${what.slice(1)}: `, decisionTag(c.decision)));
  }
  if (cf.length) {
    parts.push(h('section', { class: 'card', 'aria-labelledby': 'cf-h' }, h('h3', { id: 'cf-h' }, 'What would change the decision'), h('ul', { class: 'plain' }, cf)));
  }
  if ((result.MissingContextValues || []).length) {
    parts.push(
      h('section', { class: 'card', 'aria-labelledby': 'mc-h' },
        h('h3', { id: 'mc-h' }, 'Context keys the policies read that the request lacks'),
        h('p', {}, result.MissingContextValues.map((k) =>
          onAddContextKey
            ? h('button', { type: 'button', class: 'btn btn-small ctx-key', title: `Add ${k} to the context keys`, onclick: () => onAddContextKey(k) }, h('code', {}, k), ' +')
            : h('code', { class: 'tag' }, k)))),
    );
  }
  if (ia.fix) parts.push(renderFix(ia.fix, onApplyFix, labelOf));
  fill(el, parts);
}

function decisionTag(d) {
  return h('span', { class: ['tag', d === 'allowed' ? 'tag-ok' : 'tag-deny'] }, DECISION_WORDS[d] || d);
}

function renderFix(fix, onApplyFix, labelOf) {
  const edits = fix.edits || [];
  return h(
    'section',
    { class: 'card fix', 'aria-labelledby': 'fix-h' },
    h('h3', { id: 'fix-h' }, 'Fix ', fix.proved
      ? h('span', { class: 'tag tag-ok', title: 'the request becomes allowed and no neighbouring request changes' }, 'proved')
      : h('span', { class: 'tag tag-warn', title: 'the request becomes allowed, but some neighbouring requests change too' }, 'not proved: check the probes')),
    h('p', {}, 'After the fix the request is ', decisionTag(fix.decisionAfter), '.'),
    edits.length > 1 ? h('p', { class: 'muted' }, `${edits.length} edits, applied together:`) : null,
    edits.map((e) =>
      h('div', { class: 'fix-edit' },
        h('p', { class: 'fix-summary' }, h('strong', {}, e.policy === 'iamspect-fix' ? `A new policy` : labelOf(e.policy)), ` (${layerWords(e.layer)}): ${e.summary}`),
        diffView(e.diff))),
    edits.length
      ? h('button', { type: 'button', class: 'btn btn-primary', 'data-testid': 'apply-fix', onclick: () => onApplyFix(fix) },
          edits.length > 1 ? `Apply the ${edits.length} edits` : 'Apply fix')
      : null,
    (fix.notes || []).length ? h('ul', { class: 'plain notes' }, fix.notes.map((n) => h('li', {}, n))) : null,
    (fix.probes || []).length
      ? h('details', { class: 'probes' },
          h('summary', {}, `Neighbouring requests checked (${fix.probes.length})`),
          h('table', {},
            h('thead', {}, h('tr', {}, h('th', {}, 'action'), h('th', {}, 'resource'), h('th', {}, 'before'), h('th', {}, 'after'))),
            h('tbody', {}, fix.probes.map((p) =>
              h('tr', { class: p.before !== p.after ? 'changed' : '' }, h('td', {}, p.action), h('td', { class: 'wrap' }, p.resource), h('td', {}, p.before), h('td', {}, p.after))))))
      : null,
  );
}

function diffView(diff) {
  const lines = (diff || '').split('\n').filter((l, i, a) => i < a.length - 1 || l);
  return h('pre', { class: 'diff', 'aria-label': 'the change, as a unified diff' }, lines.map((l) => {
    const cls = l.startsWith('+++') || l.startsWith('---') ? 'd-file' : l.startsWith('@@') ? 'd-hunk' : l.startsWith('+') ? 'd-add' : l.startsWith('-') ? 'd-del' : 'd-ctx';
    return h('span', { class: cls }, `${l}\n`);
  }));
}

/** Offset in `snap.text` of a position the server gave in the trimmed policy text. */
function toOffset(snap, pos) {
  const o = snap.origin;
  const line = pos.line === 1 ? o.line : o.line + pos.line - 1;
  const column = pos.line === 1 ? o.column + pos.column - 1 : pos.column;
  return offsetOf(snap.text, line, column);
}

/** Marks for one policy's traced statements: each statement and its matched and failed parts. */
export function statementMarks(snap, statements) {
  const marks = [];
  for (const st of statements) {
    const kind = st.applied ? (st.effect === 'Deny' ? 'stmt-deny' : 'stmt-allow') : 'stmt-skip';
    marks.push({ start: toOffset(snap, st.start), end: toOffset(snap, st.end), kind, message: `${st.sid ? `"${st.sid}"` : `statement ${st.index}`} (${st.effect}): ${describeStatement(st)}` });
    for (const p of st.parts || []) {
      if (p.status === 'unchecked') continue;
      const k = p.status === 'matched' ? 'part-ok' : 'part-fail';
      const name = p.element === 'Condition' ? `${p.operator} ${p.key}` : p.element;
      const msg = p.status === 'matched' ? null : `${name}: ${describeStatement(st)}`;
      marks.push({ start: toOffset(snap, p.start), end: toOffset(snap, p.end), kind: k, message: msg });
    }
  }
  return marks;
}

/**
 * The details of one box. `snapshots` maps a policy name as the server knows it to {text, origin,
 * label} as it was sent; `onEdit(name)` focuses that policy's editor.
 */
export function renderDetails(el, node, result, snapshots, { onEdit }) {
  const ia = result.iamspect || {};
  const trace = ia.trace || { layers: [] };
  const head = h('h3', { id: 'details-h', tabindex: '-1' }, node.title);
  const body = [];
  if (node.id === 'authn') {
    body.push(h('p', {}, 'The first gate checks the signature and the credentials. A simulated request has none to check, so iamspect takes it as passed (',
      h('code', {}, ia.authentication || 'assumed passed'), '). A real request that fails here gets a 403 such as ', h('code', {}, 'InvalidClientTokenId'), ' or ', h('code', {}, 'SignatureDoesNotMatch'), ' before any policy is read.'));
  } else if (node.id === 'authz') {
    body.push(h('p', {}, 'The second gate builds the request context (principal, action, resource, condition keys) and weighs every applicable policy, as the boxes below show.'));
    body.push(h('dl', { class: 'kv' },
      h('dt', {}, 'principal'), h('dd', {}, h('code', {}, trace.principal)),
      h('dt', {}, 'action'), h('dd', {}, h('code', {}, trace.action)),
      h('dt', {}, 'resource'), h('dd', {}, h('code', {}, trace.resource))));
  } else if (node.id === 'deny') {
    const denies = [];
    for (const l of trace.layers) for (const p of l.policies) for (const st of p.statements) if (st.effect === 'Deny') denies.push({ l, p, st });
    body.push(h('p', {}, 'Every policy is searched for a Deny statement that applies; one is enough to end the evaluation with an explicit deny, whatever allows the request.'));
    if (!denies.length) body.push(h('p', { class: 'muted' }, 'No policy of this request has a Deny statement.'));
    // The Deny statements that applied first.
    const groups = groupByPolicy(denies);
    groups.sort((a, b) => Number(b.statements.some((x) => x.applied)) - Number(a.statements.some((x) => x.applied)));
    body.push(policyBlocks(groups, snapshots, onEdit));
  } else if (node.kind === 'end') {
    const d = result.EvalDecision;
    body.push(h('p', {}, node.reached ? `This is the decision: ${DECISION_WORDS[d]}.` : `Not the decision: the request is ${DECISION_WORDS[d].toLowerCase()}.`));
    if (node.reached && ia.message) body.push(h('pre', { class: 'aws-message' }, ia.message));
  } else if (node.kind === 'layer') {
    const l = node.trace;
    if (!l) {
      body.push(h('p', { class: 'muted' }, `${node.sub[0].toUpperCase()}${node.sub.slice(1)}.`));
      if (node.deciding) body.push(h('p', {}, 'With nothing here to allow the request, this layer denies it implicitly.'));
    } else {
      body.push(h('p', {}, `Verdict: ${node.chip}.`, node.deciding ? ' This box decides the request.' : '', l.verdict === 'not applicable' ? ' This layer does not apply to this request.' : ''));
      const items = [];
      for (const p of l.policies) for (const st of p.statements) items.push({ l, p, st });
      body.push(policyBlocks(groupByPolicy(items), snapshots, onEdit));
    }
  }
  fill(el, head, body);
}

function groupByPolicy(items) {
  const groups = [];
  for (const it of items) {
    let g = groups.find((x) => x.l === it.l && x.p === it.p);
    if (!g) groups.push((g = { l: it.l, p: it.p, statements: [] }));
    g.statements.push(it.st);
  }
  return groups;
}

function policyBlocks(groups, snapshots, onEdit) {
  return groups.map(({ l, p, statements }) => {
    const key = snapshotKey(l.layer, p.name, l.policies.indexOf(p));
    const snap = snapshots.get(key);
    const title = snap ? snap.label : p.name;
    return h(
      'div',
      { class: 'policy-block', 'data-policy': p.name },
      h('div', { class: 'policy-head' },
        h('strong', {}, title), h('span', { class: 'muted' }, ` · ${layerWords(l.layer)}`),
        snap && snap.editable ? h('button', { type: 'button', class: 'btn btn-small', onclick: () => onEdit(key) }, 'Edit') : null),
      h('ul', { class: 'stmts' }, statements.map((st) =>
        h('li', { class: ['stmt', st.applied ? (st.effect === 'Deny' ? 'stmt-deny' : 'stmt-allow') : 'stmt-skip'] },
          h('span', { class: 'stmt-name' }, st.sid ? `"${st.sid}"` : `statement ${st.index}`),
          h('span', { class: 'tag' }, st.effect),
          ` ${describeStatement(st)}`))),
      snap ? codeView(snap.text, statementMarks(snap, statements), `${title}, read-only, with the statements marked`).el : h('p', { class: 'muted' }, 'The text of this policy was not sent from this page.'),
    );
  });
}

/** The key of a sent policy: its layer and name (built-in names repeat, so with its place). */
export function snapshotKey(layer, name, index) {
  return name === 'FullAWSAccess' || name === 'RCPFullAWSAccess' ? `${layer}#${index}` : name;
}
