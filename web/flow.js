// AWS's evaluation flowchart drawn from one explain report: the two gates, the explicit-deny
// check, RCP and SCP levels, the VPC endpoint policy, the resource-based policy, identity-based
// policies, the permissions boundary and session policies, then the three outcomes. The path the
// request took is lit, the deciding boxes are marked, boxes that do not apply are grey.

import { s } from './dom.js';

const W = 412;
const BOX_X = 16;
const BOX_W = 260;
const SPINE = BOX_X + BOX_W / 2;
const RAIL = 348;
const GAP = 22;

const LAYER_TITLES = {
  vpcEndpoint: 'VPC endpoint policy',
  resource: 'Resource-based policy',
  identity: 'Identity-based policies',
  permissionsBoundary: 'Permissions boundary',
  session: 'Session policies',
};

const EMPTY_WORDS = {
  rcp: 'no RCPs given',
  scp: 'no SCPs given: not in an organization',
  vpcEndpoint: 'no VPC endpoint policy given',
  resource: 'no resource-based policy given',
  identity: 'no identity-based policy given',
  permissionsBoundary: 'no permissions boundary given',
  session: 'no session policies given',
};

const DENIER_WORDS = { s3BlockPublicAccess: 'S3 Block Public Access', s3Acl: 'the S3 ACL' };

const VERDICT_WORDS = {
  denies: 'Deny applies',
  allows: 'Allow applies',
  'no allow': 'no Allow',
  'not applicable': 'does not apply',
};

/** The policy type (as `deniedBy` names it) of a trace layer name such as `scp[1]`. */
export function layerType(layer) {
  const m = /^(scp|rcp)\[\d+\]$/.exec(layer);
  return m ? m[1] : layer;
}

function levelWords(level, count) {
  if (level === 0) return 'root';
  if (level === count - 1 && count > 1) return 'account';
  return 'OU';
}

/**
 * The nodes of the diagram for one report, in drawing order, with what each shows and whether
 * it is on the path, deciding, greyed.
 */
export function flowNodes(result) {
  const ia = result.iamspect || {};
  const trace = ia.trace || { layers: [] };
  const decision = result.EvalDecision;
  const deniedBy = new Set(ia.deniedBy || []);
  const decidingLayers = new Set((ia.decidingStatements || []).map((d) => d.layer));
  const byName = new Map(trace.layers.map((l) => [l.layer, l]));
  const nodes = [];
  nodes.push({ id: 'authn', kind: 'gate', title: 'Gate 1 · Authentication', sub: 'assumed for a simulated request', chip: 'passed', tone: 'ok' });
  nodes.push({ id: 'authz', kind: 'gate', title: 'Gate 2 · Authorization', sub: `${trace.action || result.EvalActionName} on ${short(trace.resource || result.EvalResourceName)}`, chip: 'evaluate', tone: 'neutral' });
  const anyDeny = decision === 'explicitDeny';
  nodes.push({
    id: 'deny', kind: 'check', title: 'Explicit Deny in any policy?',
    sub: anyDeny
      ? `found in ${[...decidingLayers].map(layerTitle).join(', ') || [...deniedBy].map((d) => DENIER_WORDS[d] || d).join(', ')}`
      : 'no Deny statement applies',
    chip: anyDeny ? 'yes' : 'no', tone: anyDeny ? 'deny' : 'ok',
  });
  const layerNode = (name, title) => {
    const l = byName.get(name);
    const t = layerType(name);
    const n = { id: `layer:${name}`, kind: 'layer', layer: name, type: t, title, trace: l || null };
    if (!l) {
      Object.assign(n, { sub: EMPTY_WORDS[t] || 'not given', chip: 'none', tone: 'grey', absent: true });
    } else {
      const count = l.policies.length;
      const stmts = l.policies.reduce((a, p) => a + p.statements.length, 0);
      Object.assign(n, {
        sub: `${count} ${count === 1 ? 'policy' : 'policies'}, ${stmts} ${stmts === 1 ? 'statement' : 'statements'}`,
        chip: VERDICT_WORDS[l.verdict] || l.verdict,
        tone: { denies: 'deny', allows: 'ok', 'no allow': 'warn', 'not applicable': 'grey' }[l.verdict] || 'neutral',
        verdict: l.verdict,
      });
      if (l.verdict === 'not applicable') n.absent = true;
    }
    return n;
  };
  for (const kind of ['rcp', 'scp']) {
    const levels = trace.layers.filter((l) => layerType(l.layer) === kind);
    const name = kind === 'rcp' ? 'RCPs' : 'SCPs';
    if (!levels.length) {
      nodes.push(layerNode(`${kind}`, kind === 'rcp' ? 'Resource control policies' : 'Service control policies'));
      continue;
    }
    for (const l of levels) {
      const level = Number(/\[(\d+)\]/.exec(l.layer)[1]);
      nodes.push(layerNode(l.layer, `${name} · level ${level} · ${levelWords(level, levels.length)}`));
    }
  }
  // A role's trust policy is the resource-based policy of sts:AssumeRole*.
  const trust = /^sts:assumerole/i.test(trace.action || result.EvalActionName || '') && /:role\//.test(trace.resource || '');
  for (const name of ['vpcEndpoint', 'resource', 'identity', 'permissionsBoundary', 'session']) {
    nodes.push(layerNode(name, name === 'resource' && trust ? 'Resource-based: role trust policy' : LAYER_TITLES[name]));
  }
  nodes.push({ id: 'end:allowed', kind: 'end', title: 'Allowed', decision: 'allowed' });
  nodes.push({ id: 'end:implicitDeny', kind: 'end', title: 'Implicit deny', decision: 'implicitDeny' });
  nodes.push({ id: 'end:explicitDeny', kind: 'end', title: 'Explicit deny', decision: 'explicitDeny' });

  // Which boxes decided, and the path.
  const layers = nodes.filter((n) => n.kind === 'layer');
  const s3Types = new Set(['s3Acl', 's3BlockPublicAccess']);
  for (const n of layers) {
    if (decision === 'explicitDeny') {
      n.deciding = decidingLayers.has(n.layer) || (n.type === 'resource' && [...deniedBy].some((d) => s3Types.has(d)));
    } else if (decision === 'implicitDeny') {
      const typeDenies = deniedBy.has(n.type) || (n.type === 'resource' && [...deniedBy].some((d) => s3Types.has(d)));
      // A level-by-level type denies at the levels without an Allow.
      n.deciding = typeDenies && (n.absent || n.verdict === 'no allow' || !['scp', 'rcp'].includes(n.type) || n.verdict === 'denies');
    } else {
      n.deciding = decidingLayers.has(n.layer);
    }
  }
  // S3's own checks (Block Public Access, ACLs) deny beside the bucket policy: say so on its box.
  const s3 = [...deniedBy].filter((d) => s3Types.has(d));
  if (s3.length) {
    const n = layers.find((x) => x.type === 'resource');
    if (n) Object.assign(n, { chip: 'blocked', tone: 'deny', sub: `${s3.map((d) => (d === 's3Acl' ? 'the S3 ACL' : 'S3 Block Public Access')).join(' and ')} denies` });
  }
  // Within an account, identity and resource policies are a union: the one without an Allow is
  // not needed when the other grants.
  if (decision === 'allowed') {
    const grants = (t) => layers.some((n) => n.type === t && n.deciding);
    for (const n of layers) {
      if (n.verdict === 'no allow' && n.type === 'identity' && grants('resource')) n.sub = 'not needed: the resource-based policy grants';
      if (n.verdict === 'no allow' && n.type === 'resource' && grants('identity')) n.sub = 'not needed: an identity-based policy grants';
      if (n.absent && n.type === 'identity' && grants('resource')) n.sub = 'none given; the resource-based policy grants';
    }
  }
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const on = (id) => byId.get(id) && (byId.get(id).onPath = true);
  ['authn', 'authz', 'deny'].forEach(on);
  if (decision === 'explicitDeny') {
    byId.get('deny').deciding = true;
    on('end:explicitDeny');
    for (const n of layers) if (!n.deciding) n.notReached = true;
  } else if (decision === 'allowed') {
    for (const n of layers) if (!n.absent) n.onPath = true;
    on('end:allowed');
  } else {
    const lastDeciding = layers.reduce((acc, n, i) => (n.deciding ? i : acc), -1);
    layers.forEach((n, i) => {
      if (i <= lastDeciding && (!n.absent || n.deciding)) n.onPath = true;
      if (i > lastDeciding) n.notReached = true;
    });
    on('end:implicitDeny');
  }
  byId.get(`end:${decision}`).deciding = true;
  for (const n of nodes.filter((x) => x.kind === 'end')) n.reached = n.decision === decision;
  return nodes;
}

function layerTitle(layer) {
  const t = layerType(layer);
  if (t === 'scp' || t === 'rcp') return `${t.toUpperCase()} level ${layer.slice(4, -1)}`;
  return LAYER_TITLES[layer] || layer;
}

function short(arn) {
  if (!arn) return '';
  return arn.length > 42 ? `${arn.slice(0, 20)}…${arn.slice(-20)}` : arn;
}

function clip(text, max) {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/**
 * Draws the nodes. `onSelect(node)` is called when a box is clicked or activated with the
 * keyboard; `selected` is the id of the selected box.
 */
export function drawFlow(nodes, { onSelect, selected }) {
  const main = nodes.filter((n) => n.kind !== 'end');
  const pos = new Map();
  let y = 12;
  for (const n of main) {
    const hgt = n.kind === 'layer' ? 50 : 46;
    pos.set(n.id, { x: BOX_X, y, w: BOX_W, h: hgt });
    y += hgt + GAP;
  }
  const endY = y + 8;
  pos.set('end:allowed', { x: 40, y: endY, w: 212, h: 44 });
  pos.set('end:implicitDeny', { x: 292, y: endY, w: 112, h: 44 });
  const deny = pos.get('deny');
  pos.set('end:explicitDeny', { x: 304, y: deny.y, w: 104, h: 46 });
  const H = endY + 44 + 14;

  const edges = [];
  const line = (pts, lit, cls = '') =>
    edges.push(s('polyline', {
      points: pts.map((p) => p.join(',')).join(' '),
      class: ['edge', lit ? 'edge-lit' : 'edge-dim', cls],
      'marker-end': lit ? 'url(#arrow-lit)' : 'url(#arrow-dim)',
    }));
  const label = (x, yy, text, lit, deny) => edges.push(s('text', { x, y: yy, class: ['edge-label', lit && 'edge-label-lit', lit && deny && 'edge-label-deny'] }, text));

  const decision = nodes.find((n) => n.kind === 'end' && n.reached)?.decision;
  // The spine: each box to the next, then the last to Allowed. The path runs down the spine to the last box on it, through boxes that do not apply.
  const lastOn =
    decision === 'explicitDeny' ? main.findIndex((n) => n.id === 'deny')
      : decision === 'allowed' ? main.length - 1
        : main.reduce((acc, n, i) => (n.onPath ? i : acc), 0);
  for (let k = 0; k + 1 < main.length; k++) {
    const a = pos.get(main[k].id);
    const b = pos.get(main[k + 1].id);
    line([[SPINE, a.y + a.h], [SPINE, b.y - 2]], k + 1 <= lastOn);
  }
  const last = pos.get(main[main.length - 1].id);
  line([[SPINE, last.y + last.h], [SPINE, endY - 2]], decision === 'allowed');
  // "no" under the deny check, "yes" to its right.
  label(SPINE + 8, deny.y + deny.h + 15, 'no', decision !== 'explicitDeny');
  line([[BOX_X + BOX_W, deny.y + deny.h / 2], [302, deny.y + deny.h / 2]], decision === 'explicitDeny');
  label(BOX_X + BOX_W + 5, deny.y + deny.h / 2 - 7, 'yes', decision === 'explicitDeny', true);
  // The implicit-deny rail: from each deciding box (or faint, from the first layer) down to the end.
  const layers = main.filter((n) => n.kind === 'layer');
  const firstLayer = pos.get(layers[0].id);
  const deciders = decision === 'implicitDeny' ? layers.filter((n) => n.deciding) : [];
  const railTop = deciders.length ? pos.get(deciders[0].id).y + 25 : firstLayer.y + 25;
  line([[RAIL, firstLayer.y + 25], [RAIL, endY - 2]], false, 'rail');
  for (const n of deciders) {
    const p = pos.get(n.id);
    edges.push(s('line', { x1: p.x + p.w, y1: p.y + 25, x2: RAIL, y2: p.y + 25, class: 'edge edge-lit edge-deny' }));
  }
  if (deciders.length) {
    edges.push(s('line', { x1: RAIL, y1: railTop, x2: RAIL, y2: endY - 2, class: 'edge edge-lit edge-deny', 'marker-end': 'url(#arrow-lit)' }));
  }
  label(RAIL - 40, firstLayer.y + 12, 'no Allow', deciders.length > 0, true);
  // For an explicit deny, a link from each box whose Deny applied back up to the deny check.
  if (decision === 'explicitDeny') {
    for (const n of layers.filter((x) => x.deciding)) {
      const p = pos.get(n.id);
      edges.push(s('polyline', {
        points: [[BOX_X, p.y + 25], [6, p.y + 25], [6, deny.y + deny.h / 2], [BOX_X - 2, deny.y + deny.h / 2]].map((q) => q.join(',')).join(' '),
        class: 'edge edge-deny-link',
        'marker-end': 'url(#arrow-deny)',
      }));
    }
  }

  const boxes = nodes.map((n) => drawNode(n, pos.get(n.id), n.id === selected, onSelect));
  const defs = s(
    'defs',
    {},
    ['lit', 'dim', 'deny'].map((k) =>
      s('marker', { id: `arrow-${k}`, viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 9, markerHeight: 9, markerUnits: 'userSpaceOnUse', orient: 'auto-start-reverse' },
        s('path', { d: 'M 0 0 L 10 5 L 0 10 z', class: `arrow-${k}` }))),
  );
  const svg = s(
    'svg',
    {
      class: 'flow',
      viewBox: `0 0 ${W} ${H}`,
      role: 'group',
      'aria-label': 'AWS evaluation flow for this request. Each box is a button that shows its policies.',
      'data-decision': decision,
    },
    defs,
    edges,
    boxes,
  );
  // Arrow keys move between boxes, in the order of the flow.
  svg.addEventListener('keydown', (e) => {
    if (e.key !== 'ArrowDown' && e.key !== 'ArrowUp') return;
    const at = boxes.indexOf(e.target.closest('[data-node]'));
    if (at < 0) return;
    const next = boxes[at + (e.key === 'ArrowDown' ? 1 : -1)];
    if (next) {
      e.preventDefault();
      next.focus();
    }
  });
  return svg;
}

function drawNode(n, p, isSelected, onSelect) {
  const classes = [
    'node',
    `node-${n.kind}`,
    n.tone && `tone-${n.tone}`,
    n.onPath && 'on-path',
    n.deciding && 'deciding',
    (n.absent || n.notReached) && !n.onPath && !n.deciding && 'greyed',
    n.kind === 'end' && (n.reached ? 'reached' : 'greyed'),
    n.kind === 'end' && `end-${n.decision}`,
    isSelected && 'selected',
  ];
  const state = [
    n.onPath ? 'on the path' : n.notReached ? 'not reached' : n.absent ? 'does not apply' : 'off the path',
    n.deciding ? 'deciding' : '',
  ].filter(Boolean).join(', ');
  const aria = n.kind === 'end' ? `${n.title}: ${n.reached ? 'the decision' : 'not the decision'}` : `${n.title}: ${n.chip}. ${n.sub}. ${state}`;
  const g = s('g', {
    class: classes,
    role: 'button',
    tabindex: '0',
    'aria-label': aria,
    'aria-pressed': isSelected ? 'true' : 'false',
    'data-node': n.id,
    'data-on-path': n.onPath ? 'true' : 'false',
    'data-deciding': n.deciding ? 'true' : 'false',
  });
  const activate = (e) => {
    e.preventDefault();
    onSelect(n);
  };
  g.addEventListener('click', activate);
  g.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' || e.key === ' ') activate(e);
  });
  const rx = n.kind === 'check' ? 22 : n.kind === 'end' ? 22 : 8;
  g.append(s('rect', { x: p.x, y: p.y, width: p.w, height: p.h, rx, class: 'box' }));
  if (n.kind === 'end') {
    g.append(s('text', { x: p.x + p.w / 2, y: p.y + p.h / 2 + 5, class: 'end-title' }, n.title));
    if (n.reached) g.append(s('title', {}, `${n.title}: the decision`));
    return g;
  }
  g.append(s('text', { x: p.x + 12, y: p.y + 20, class: 'node-title' }, clip(n.title, 34)));
  const chip = n.chip || '';
  g.append(s('text', { x: p.x + 12, y: p.y + 38, class: 'node-sub' },
    s('tspan', { class: `verdict verdict-${n.tone || 'neutral'}` }, chip),
    s('tspan', {}, ` · ${clip(n.sub || '', Math.max(8, 35 - chip.length))}`)));
  if (n.deciding) g.append(s('circle', { cx: p.x + p.w - 12, cy: p.y + 14, r: 5, class: 'decider-dot' }));
  g.append(s('title', {}, `${n.title}\n${chip}: ${n.sub}\n${state}`));
  return g;
}
