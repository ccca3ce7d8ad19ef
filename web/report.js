// The words beside the flow: the decision, AWS's error, counterfactuals and the ranked fixes; and
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
  if (Array.isArray(ia.fixes)) parts.push(renderFixes(ia.fixes, ia.fixNotes, onApplyFix, labelOf));
  fill(el, parts);
}

function decisionTag(d) {
  return h('span', { class: ['tag', d === 'allowed' ? 'tag-ok' : 'tag-deny'] }, DECISION_WORDS[d] || d);
}

const KIND_WORDS = {
  request: 'Change the request',
  grant: 'Grant',
  weakening: 'Weakening — removes protection',
};

const KIND_TITLES = {
  request: 'the policies stay as they are; the request changes',
  grant: 'an Allow is added where a layer lacks one',
  weakening: 'a deny or a condition is loosened: other requests may be let through too',
};

/** True when the page can apply a fix: a change it can make itself, with nothing left to guess. */
export function canApply(fix) {
  if (fix.principal) return false; // the other principal's own policies were not given
  return (fix.edits || []).length > 0 || Object.keys(fix.context || {}).length > 0;
}

/** Policy names in a server sentence (`identityPolicies[0]`) as the page labels them. */
function named(text, labelOf) {
  return text.replace(/`([^`]+)`( \(([^)]*)\))?/g, (m, name, paren, words) => {
    const l = labelOf(name);
    if (l === name) return m;
    // "`resourcePolicy` (resource-based policy)": the label says it already.
    return words && words.toLowerCase() !== l.toLowerCase() ? `${l} (${words})` : l;
  });
}

/** The ranked fixes: request changes, grants, then weakenings, each with what it changes. */
function renderFixes(fixes, fixNotes, onApplyFix, labelOf) {
  const first = fixes.findIndex(canApply);
  return h(
    'section',
    { class: 'card fixes', 'aria-labelledby': 'fix-h', 'data-testid': 'fixes' },
    h('h3', { id: 'fix-h' }, fixes.length ? (fixes.length === 1 ? 'Fix' : `Fixes (${fixes.length}), the least loss of protection first`) : 'No fix found'),
    fixes.map((fix, i) => renderFix(fix, i, { primary: i === first, onApplyFix, labelOf })),
    (fixNotes || []).length
      ? h('div', { class: 'fix-notes', 'data-testid': 'fix-notes' },
          h('p', { class: 'fix-notes-h' }, 'What no fix changes'),
          h('ul', { class: 'plain notes' }, fixNotes.map((n) => h('li', {}, named(n, labelOf)))))
      : null,
  );
}

function renderFix(fix, i, { primary, onApplyFix, labelOf }) {
  const edits = fix.edits || [];
  const context = Object.entries(fix.context || {});
  const weakening = fix.kind === 'weakening';
  const tagClass = { request: 'tag-ok', grant: 'tag-grant', weakening: 'tag-deny' }[fix.kind] || '';
  const apply = canApply(fix)
    ? h('button', {
        type: 'button',
        class: ['btn', weakening ? 'btn-warn' : primary ? 'btn-primary' : null],
        'data-testid': `apply-fix-${i}`,
        'data-kind': fix.kind,
        'aria-haspopup': weakening ? 'dialog' : undefined,
        onclick: () => onApplyFix(fix),
      }, applyWords(fix))
    : null;
  return h(
    'article',
    { class: ['fix', `fix-${fix.kind}`], 'data-testid': `fix-${i}`, 'data-kind': fix.kind, 'aria-labelledby': `fix-${i}-h` },
    h('h4', { id: `fix-${i}-h`, class: 'fix-head' },
      h('span', { class: 'fix-num' }, `${i + 1}.`),
      h('span', { class: ['tag', 'fix-kind', tagClass], title: KIND_TITLES[fix.kind] || '' }, KIND_WORDS[fix.kind] || fix.kind),
      fix.proved
        ? h('span', { class: 'tag tag-ok' }, 'proved')
        : h('span', { class: 'tag tag-warn' }, 'not proved')),
    h('p', { class: 'fix-summary' }, sentence(named(fix.summary, labelOf))),
    h('p', { class: 'fix-proof muted', 'data-testid': 'fix-proof' }, named(fix.proof || '', labelOf)),
    fix.decisionAfter
      ? h('p', {}, 'After it the request is ', decisionTag(fix.decisionAfter), '.')
      : h('p', { class: 'muted' }, 'After it the decision cannot be told from what was given here.'),
    fix.principal
      ? h('p', { class: 'fix-principal' }, 'Principal: ', h('code', {}, fix.principal))
      : null,
    context.length
      ? h('div', { class: 'fix-context' },
          h('p', {}, context.length === 1 ? 'The request carries this context value:' : 'The request carries these context values:'),
          h('ul', { class: 'plain kvs' }, context.map(([k, v]) => h('li', {}, h('code', {}, k), ' = ', h('code', {}, v)))))
      : null,
    (fix.weakens || []).length
      ? h('div', { class: 'fix-weakens', 'data-testid': 'fix-weakens' },
          h('p', {}, h('strong', {}, 'It weakens:')),
          h('ul', {}, fix.weakens.map((w) => h('li', {}, named(w, labelOf)))))
      : null,
    edits.length > 1 ? h('p', { class: 'muted' }, `${edits.length} edits, applied together:`) : null,
    edits.map((e) =>
      h('p', { class: 'fix-edit' }, editedPolicy(e, labelOf), `: ${named(e.summary, labelOf)}`)),
    fix.patch
      ? h('details', { class: 'fix-patch', open: i === 0 || undefined },
          h('summary', {}, 'The change, as a patch'),
          diffView(fix.patch))
      : null,
    changesTable(fix.changes || []),
    (fix.unchanged || []).length
      ? h('details', { class: 'probes', 'data-testid': 'fix-unchanged' },
          h('summary', {}, `Neighbouring requests unchanged (${fix.unchanged.length})`),
          probeTable(fix.unchanged, false))
      : null,
    (fix.notes || []).length ? h('ul', { class: 'plain notes' }, fix.notes.map((n) => h('li', {}, named(n, labelOf)))) : null,
    fix.principal
      ? h('p', { class: 'fix-no-apply muted', 'data-testid': 'fix-no-apply' }, 'Not applied here: the page has only the policies of the principal the request names.')
      : null,
    apply,
  );
}

function sentence(text) {
  return text ? text[0].toUpperCase() + text.slice(1) : text;
}

/** An edited policy as the page names it, with its layer when the name does not say it. */
function editedPolicy(e, labelOf, start = true) {
  const label = e.policy === 'iamspect-fix' ? `${start ? 'A' : 'a'} new policy` : labelOf(e.policy);
  const words = layerWords(e.layer);
  return label.toLowerCase() === words.replace(/^the /, '') ? [h('strong', {}, label)] : [h('strong', {}, label), ` (${words})`];
}

function applyWords(fix) {
  const edits = (fix.edits || []).length;
  if (fix.kind === 'weakening') return 'Apply the weakening…';
  if (fix.kind === 'request' && !edits) return 'Apply: change the request';
  return edits > 1 ? `Apply the ${edits} edits` : 'Apply fix';
}

/** The neighbouring requests whose decision a fix changes, shown, not folded away. */
function changesTable(changes) {
  if (!changes.length) return null;
  return h('div', { class: 'probes probes-changed', 'data-testid': 'fix-changes' },
    h('p', { class: 'changes-h' }, h('strong', {}, changes.length === 1 ? 'It also changes 1 neighbouring request:' : `It also changes ${changes.length} neighbouring requests:`)),
    probeTable(changes, true));
}

function probeTable(probes, changed) {
  return h('ul', { class: ['plain', 'probe-list', changed ? 'changed' : null] }, probes.map((p) =>
    h('li', {},
      h('code', {}, p.action), ' on ', h('code', { class: 'wrap' }, p.resource), ': ',
      p.before === p.after
        ? DECISION_WORDS[p.after] || p.after
        : [DECISION_WORDS[p.before] || p.before, ' → ', h('strong', {}, DECISION_WORDS[p.after] || p.after)])));
}

/** What a weakening removes, for the confirmation asked before applying it. */
export function weakeningWords(fix, labelOf = (n) => n) {
  const changes = fix.changes || [];
  return [
    h('p', {}, sentence(named(fix.summary, labelOf)), '.'),
    h('p', {}, h('strong', {}, 'This removes protection. It weakens:')),
    h('ul', { 'data-testid': 'weaken-list' }, (fix.weakens || []).map((w) => h('li', {}, named(w, labelOf)))),
    changes.length
      ? [h('p', {}, h('strong', {}, `And it changes ${changes.length === 1 ? '1 neighbouring request' : `${changes.length} neighbouring requests`} (of those checked):`)), probeTable(changes, true)]
      : h('p', {}, 'Of the neighbouring requests checked, none changes; others may.'),
    (fix.notes || []).length ? h('ul', { class: 'plain notes' }, fix.notes.map((n) => h('li', {}, named(n, labelOf)))) : null,
    (fix.edits || []).map((e) =>
      h('p', { class: 'fix-edit' }, 'It edits ', editedPolicy(e, labelOf, false), '.')),
  ];
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
