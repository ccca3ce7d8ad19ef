// The escalation paths page: one principal's shortest paths to admin (or to another principal)
// over the server's account data (POST /v1/paths), drawn as a chain of principals; each hop opens
// the requests it needs, each explained by the server (POST /v1/explain on the same data).

import { explainRequest, health, paths } from './api.js';
import { DECISION_WORDS, fill, h, s, showError } from './dom.js';

const $ = (id) => document.getElementById(id);

/** The last part of an ARN, for a node's label; the whole ARN is its title. */
function shortName(arn) {
  const tail = arn.split(':').slice(5).join(':');
  return tail || arn;
}

/** The chain of one path as SVG: a box per principal, an arrow per hop labelled with its technique. */
function chain(path, pathIndex, onHop) {
  const steps = path.steps;
  const nodes = [steps[0].from, ...steps.map((st) => st.to)];
  const boxW = 420;
  const boxH = 34;
  const gap = 46;
  const height = nodes.length * boxH + (nodes.length - 1) * gap + 8;
  const svg = s('svg', {
    class: 'paths-chain',
    viewBox: `0 0 ${boxW + 260} ${height}`,
    width: boxW + 260,
    height,
    role: 'group',
    'aria-label': `path ${pathIndex + 1}: ${nodes.map(shortName).join(' then ')}`,
  });
  nodes.forEach((arn, i) => {
    const y = 4 + i * (boxH + gap);
    const last = i === nodes.length - 1;
    svg.append(
      s('g', { class: last ? 'node node-end' : 'node' },
        s('title', {}, arn),
        s('rect', { x: 2, y, width: boxW, height: boxH, rx: 6 }),
        s('text', { x: 14, y: y + boxH / 2 + 5 }, shortName(arn))),
    );
    if (!last) {
      const step = steps[i];
      const y1 = y + boxH;
      const y2 = y1 + gap;
      const label = `${step.technique}${step.gain === 'makesAdmin' ? ' (makes admin)' : ''}`;
      const hop = s('g', {
        class: 'hop',
        tabindex: 0,
        role: 'button',
        'aria-label': `hop ${i + 1}: ${step.story}`,
        dataset: { testid: `hop-${pathIndex}-${i}` },
        onclick: () => onHop(step, i),
        onkeydown: (e) => {
          if (e.key === 'Enter' || e.key === ' ') {
            e.preventDefault();
            onHop(step, i);
          }
        },
      },
      s('line', { x1: 40, y1, x2: 40, y2: y2 - 4, 'marker-end': `url(#arrow-${pathIndex})` }),
      s('text', { x: 56, y: (y1 + y2) / 2 + 5 }, label));
      svg.append(hop);
    }
  });
  svg.prepend(s('defs', {},
    s('marker', { id: `arrow-${pathIndex}`, viewBox: '0 0 10 10', refX: 8, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' },
      s('path', { d: 'M 0 0 L 10 5 L 0 10 z' }))));
  return svg;
}

/** The place of a granting statement, as the CLI prints it. */
function where(g) {
  return `${g.policy} statement ${g.statement} (line ${g.line}, column ${g.column})`;
}

/** One request of a hop, with the server's explanation of it. */
function requestView(req) {
  const out = h('div', { class: 'hop-request', dataset: { testid: 'hop-request' } },
    h('p', {}, h('code', {}, req.action), ' on ', h('code', {}, req.resource), ' as ', h('code', {}, req.principal)),
    req.grantedBy.length ? h('ul', {}, req.grantedBy.map((g) => h('li', {}, 'allowed by ', where(g)))) : null,
    req.conditions.length ? h('ul', {}, req.conditions.map((c) => h('li', {}, 'if ', c))) : null);
  const verdict = h('div', { class: 'hop-verdict', dataset: { testid: 'hop-verdict' } }, 'Asking the server…');
  out.append(verdict);
  const body = { principal: req.principal, action: req.action, resource: req.resource };
  if (req.context && Object.keys(req.context).length) body.context = req.context;
  explainRequest(body).then((r) => {
    if (!r.ok) {
      // InvalidClientTokenId on account data is the first gate: an opt-in Region the caller's
      // account has not enabled (D141), refused before any policy is read.
      const gate = r.error.code === 'InvalidClientTokenId' ? 'Refused at gate 1 (authentication), before any policy is read. ' : '';
      fill(verdict, h('span', { class: 'alert alert-error' }, `${gate}${r.error.code}: ${r.error.message}`));
      return;
    }
    const result = (r.data.EvaluationResults || [])[0];
    if (!result) {
      fill(verdict, 'The server gave no result.');
      return;
    }
    const decision = result.EvalDecision;
    fill(verdict,
      h('strong', { class: `decision decision-${decision}` }, DECISION_WORDS[decision] || decision),
      ' by the server, with every policy of the account data',
      h('ul', {}, (result.MatchedStatements || []).map((m) =>
        h('li', {}, `${m.SourcePolicyType} ${m.SourcePolicyId} (line ${m.StartPosition.Line}, column ${m.StartPosition.Column})`))));
  }).catch((e) => showError(verdict, e));
  return out;
}

function showHop(step) {
  const hop = $('hop');
  fill(hop,
    h('h2', { id: 'hop-h' }, step.technique),
    h('p', { class: 'hop-story' }, step.story),
    step.conditions.length ? h('div', {}, h('h3', {}, 'Only if'), h('ul', {}, step.conditions.map((c) => h('li', {}, c)))) : null,
    h('h3', {}, 'The requests it needs'),
    step.requests.map(requestView));
  hop.scrollIntoView({ block: 'nearest' });
}

function render(answer) {
  const out = $('paths-result');
  const p = (answer.principals || [])[0];
  if (!p) {
    fill(out, h('p', {}, 'The server answered with no principal.'));
    return;
  }
  const to = answer.to === 'admin' ? 'admin' : shortName(answer.to);
  const head = p.isAdmin
    ? h('p', { class: 'paths-summary' }, h('strong', {}, shortName(p.arn)), ' is admin already.')
    : p.paths.length
      ? h('p', { class: 'paths-summary' }, h('strong', {}, shortName(p.arn)), ` reaches ${to} in ${p.paths[0].steps.length} step(s)`,
        p.paths.some((x) => x.conditional) ? ', under the conditions its hops name.' : '.')
      : h('p', { class: 'paths-summary' }, h('strong', {}, shortName(p.arn)), ` does not reach ${to} within ${answer.maxHops} steps.`);
  const left = (answer.leftOut || []).length
    ? h('details', {}, h('summary', {}, `${answer.leftOut.length} principal(s) or hop(s) left out, and why`),
      h('ul', {}, answer.leftOut.map((l) => h('li', {}, l))))
    : null;
  fill(out, head,
    p.paths.map((path, i) => h('div', { class: 'card paths-path' },
      h('h3', {}, `Path ${i + 1}`),
      chain(path, i, (step) => showHop(step)),
      h('ol', { class: 'paths-steps' }, path.steps.map((step, j) =>
        h('li', {}, h('button', { type: 'button', class: 'linklike', dataset: { testid: `step-${i}-${j}` }, onclick: () => showHop(step) }, step.story)))))),
    left);
  fill($('hop'));
}

async function find(e) {
  e.preventDefault();
  const from = $('p-from').value.trim();
  const to = $('p-to').value.trim() || 'admin';
  const maxHops = Number($('p-hops').value) || 6;
  const out = $('paths-result');
  fill(out, h('p', {}, 'Deciding each hop…'));
  const r = await paths({ from, to, maxHops });
  if (!r.ok) {
    fill(out, h('div', { class: 'alert alert-error', role: 'alert' }, `${r.error.code}: ${r.error.message}`));
    return;
  }
  render(r.data);
}

async function start() {
  $('paths-form').addEventListener('submit', (e) => find(e).catch((err) => showError($('paths-result'), err)));
  const from = new URLSearchParams(location.search).get('from');
  if (from) $('p-from').value = from;
  const r = await health();
  if (r.ok && !(r.data.accountData && r.data.accountData.loaded)) {
    fill($('banner'), h('div', { class: 'alert alert-error' },
      'This server holds no account data, so it has no principals to follow: start it with ',
      h('code', {}, 'iamspect serve --account-data DUMP'), '.'));
  }
  document.body.dataset.ready = 'true';
}

start();
