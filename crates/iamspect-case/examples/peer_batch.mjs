// Runs the peer simulator, @cloud-copilot/iam-simulate (npm, MIT), over an `iamspect eval --batch`
// JSONL file (one case per line), one simulation per line, and prints one JSON line per case with
// its decision: the peer side of the batch timing in docs/performance.md ("Batch decisions").
// It reads the fields the batch_input example writes (principal with tags, action, resource,
// context, identity policies, SCP levels, permissions boundary, resource policy).
//
//   mkdir -p /tmp/peer && cd /tmp/peer && npm install @cloud-copilot/iam-simulate@0.1.173
//   cp crates/iamspect-case/examples/peer_batch.mjs /tmp/peer/ && node /tmp/peer/peer_batch.mjs CASES.jsonl
import { readFileSync } from 'node:fs'
import { runSimulation } from '@cloud-copilot/iam-simulate'

const lines = readFileSync(process.argv[2], 'utf8').split('\n').filter((l) => l.trim() !== '')
const out = []
let n = 0
for (const line of lines) {
  n++
  const c = JSON.parse(line)
  const arn = typeof c.principal === 'string' ? c.principal : c.principal.arn
  const tags = (typeof c.principal === 'object' && c.principal.tags) || {}
  const context = { ...c.context }
  for (const [k, v] of Object.entries(tags)) context[`aws:PrincipalTag/${k}`] = v
  const simulation = {
    request: {
      principal: arn,
      action: c.action,
      resource: { resource: c.resource, accountId: c.resourceAccount || arn.split(':')[4] },
      contextVariables: context
    },
    identityPolicies: (c.identityPolicies || []).map((p, i) => ({ name: `identity${i}`, policy: p })),
    serviceControlPolicies: (c.scps || []).map((level, i) => ({
      orgIdentifier: `level${i}`,
      policies: level.map((p, j) => ({ name: `scp${i}-${j}`, policy: p }))
    })),
    resourceControlPolicies: [],
    resourcePolicy: c.resourcePolicy,
    permissionBoundaryPolicies: c.permissionsBoundary
      ? [{ name: 'boundary', policy: c.permissionsBoundary }]
      : undefined
  }
  const r = await runSimulation(simulation, {})
  out.push(JSON.stringify({ line: n, decision: r.resultType === 'error' ? 'error' : r.overallResult }))
}
process.stdout.write(out.join('\n') + '\n')
