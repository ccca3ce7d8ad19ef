// The page in real headless Chromium against a running `iamspect serve` (scripts/e2e.sh starts it).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, open, shot, BASE } from './browser.js';

let b;
before(async () => {
  b = await launch();
});
after(async () => {
  await b.close();
});

/** Opens an example case from the Examples menu, as a person would, and waits for its result. */
async function openExample(page, name, index) {
  const count = Number((await page.getAttribute('body', 'data-evaluations')) || 0);
  await page.click('#examples-menu > summary');
  await page.click(`[data-example="${name}/${index}"]`);
  await page.waitForFunction(
    ([n, i, c]) => location.hash === `#example=${n}/${i}` && Number(document.body.dataset.evaluations || 0) > c,
    [name, index, count],
  );
}

async function decision(page) {
  return page.getAttribute('.verdict-card', 'data-decision');
}

async function node(page, id) {
  return page.$eval(`[data-node="${id}"]`, (n) => ({
    onPath: n.dataset.onPath === 'true',
    deciding: n.dataset.deciding === 'true',
    greyed: n.classList.contains('greyed'),
    reached: n.classList.contains('reached'),
  }));
}

test('the page loads from the server with a strict CSP and asks nothing of the internet', async () => {
  const res = await fetch(`${BASE}/ui/`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-security-policy'), /default-src 'none'/);
  const { page, problems, context } = await open(b.browser);
  assert.equal(await page.title(), 'iamspect · how AWS decides a request');
  // The first example is opened and decided at once.
  assert.equal(await decision(page), 'explicitDeny');
  await shot(page, '01-loaded');
  assert.deepEqual(problems, []);
  await context.close();
});

test('an explicitly denied request: the bucket policy denies; the path goes from the deny check to Explicit deny', async () => {
  const { page, problems, context } = await open(b.browser);
  await openExample(page, 'prod-backups', 0);
  assert.equal(await decision(page), 'explicitDeny');
  assert.match(await page.textContent('[data-testid="aws-message"]'), /with an explicit deny in a resource-based policy/);
  assert.match(await page.textContent('.verdict-card'), /the resource-based policy/);
  for (const id of ['authn', 'authz', 'deny']) assert.ok((await node(page, id)).onPath, id);
  assert.ok((await node(page, 'deny')).deciding);
  assert.ok((await node(page, 'layer:resource')).deciding);
  assert.ok((await node(page, 'end:explicitDeny')).reached);
  assert.ok(!(await node(page, 'end:allowed')).reached);
  assert.ok(!(await node(page, 'layer:identity')).onPath, 'an explicit deny ends the evaluation');
  assert.equal((await page.$$('svg.flow polyline.edge-lit')).length, 3, 'two gates, then the deny check to Explicit deny');
  await shot(page, '02-explicit-deny');
  assert.deepEqual(problems, []);
  await context.close();
});

test('an allowed request: the path runs through every applicable box to Allowed', async () => {
  const { page, problems, context } = await open(b.browser);
  await openExample(page, 'prod-backups', 2);
  assert.equal(await decision(page), 'allowed');
  for (const id of ['authn', 'authz', 'deny', 'layer:scp[0]', 'layer:scp[3]', 'layer:resource', 'layer:identity']) {
    assert.ok((await node(page, id)).onPath, id);
  }
  assert.ok((await node(page, 'layer:identity')).deciding, 'the identity policy grants');
  assert.ok((await node(page, 'layer:permissionsBoundary')).greyed, 'no boundary: greyed');
  assert.ok((await node(page, 'end:allowed')).reached);
  const boxes = (await page.$$('svg.flow [data-node]')).length - 3;
  assert.equal((await page.$$('svg.flow polyline.edge-lit')).length, boxes, 'the whole spine is lit, down to Allowed');
  assert.equal(await page.$('[data-testid="aws-message"]'), null, 'no AccessDenied message for an allowed request');
  await shot(page, '03-allowed');
  assert.deepEqual(problems, []);
  await context.close();
});

test('an implicitly denied request: the permissions boundary has no Allow and decides', async () => {
  const { page, problems, context } = await open(b.browser);
  await openExample(page, 'boundary', 0);
  assert.equal(await decision(page), 'implicitDeny');
  const pb = await node(page, 'layer:permissionsBoundary');
  assert.ok(pb.onPath && pb.deciding);
  assert.ok((await node(page, 'layer:identity')).onPath);
  assert.ok(!(await node(page, 'deny')).deciding);
  assert.ok((await node(page, 'end:implicitDeny')).reached);
  assert.match(await page.textContent('[data-testid="aws-message"]'), /no permissions boundary allows/);
  await shot(page, '04-implicit-deny');
  assert.deepEqual(problems, []);
  await context.close();
});

test('clicking a box shows its statements, the failed condition highlighted in the policy text', async () => {
  const { page, problems, context } = await open(b.browser);
  // BackupAdmin is the exception of the deny's ArnNotEquals condition: the condition is false.
  await openExample(page, 'prod-backups', 5);
  await page.click('[data-node="layer:resource"]');
  await page.waitForSelector('#details .policy-block');
  assert.equal(await page.textContent('#details-h'), 'Resource-based policy');
  const details = await page.textContent('#details');
  assert.match(details, /DenyDeletingBackups/);
  assert.match(details, /condition ArnNotEquals aws:PrincipalArn .* is false/);
  // The statement and its failed part are marked in the text.
  const failed = await page.$$eval('#details .mk-part-fail', (els) => els.map((e) => e.textContent).join(''));
  assert.match(failed, /aws:PrincipalArn/);
  assert.ok(await page.$('#details .mk-stmt-skip'));
  assert.ok(await page.$('#details .mk-part-ok'), 'Action and Resource matched');
  await shot(page, '05-box-details');
  // The deciding box of an explicit deny shows the Deny statement that applied.
  await openExample(page, 'prod-backups', 0);
  await page.click('[data-node="layer:resource"]');
  await page.waitForSelector('#details .mk-stmt-deny');
  assert.deepEqual(problems, []);
  await context.close();
});

/** Clicks a fix's Apply button and waits for the evaluation it starts. */
async function applyFix(page, i) {
  const count = Number(await page.getAttribute('body', 'data-evaluations'));
  await page.click(`[data-testid="apply-fix-${i}"]`);
  await page.waitForFunction((k) => Number(document.body.dataset.evaluations) > k, count);
}

test('a request fix applied sets its context value and the request becomes allowed, the policies untouched', async () => {
  const { page, problems, context } = await open(b.browser);
  await openExample(page, 'region-lock', 0);
  assert.equal(await decision(page), 'explicitDeny');
  // Ranked: the request change first, the weakening of the SCP after it, marked as such.
  assert.equal(await page.getAttribute('[data-testid="fix-0"]', 'data-kind'), 'request');
  assert.match(await page.textContent('[data-testid="fix-0"] .fix-kind'), /Change the request/);
  assert.match(await page.textContent('[data-testid="fix-0"]'), /aws:RequestedRegion = eu-west-1/);
  assert.match(await page.getAttribute('[data-testid="apply-fix-0"]', 'class'), /btn-primary/, 'the first fix has the primary button');
  assert.equal(await page.getAttribute('[data-testid="fix-1"]', 'data-kind'), 'weakening');
  assert.match(await page.textContent('[data-testid="fix-1"] .fix-kind'), /Weakening — removes protection/);
  assert.match(await page.textContent('[data-testid="fix-1"] [data-testid="fix-weakens"]'), /DenyOutsideEURegions/);
  assert.doesNotMatch(await page.getAttribute('[data-testid="apply-fix-1"]', 'class'), /btn-primary/, 'a weakening is never the primary button');
  assert.ok(await page.$('[data-testid="fix-1"] [data-testid="fix-changes"] .probe-list.changed li'), 'the requests it also lets through are shown');
  const panels = await page.$$eval('[data-panel] textarea', (ts) => ts.map((t) => t.value));
  // A fix of a result the inputs no longer match is refused, and changes nothing.
  await page.uncheck('#live');
  await page.fill('#f-action', 'ec2:StartInstances');
  await page.click('[data-testid="apply-fix-0"]');
  assert.match(await page.textContent('#banner'), /the inputs changed since this fix was computed/);
  assert.equal(JSON.parse(await page.inputValue('#context-editor textarea'))['aws:RequestedRegion'], 'us-east-1');
  await page.fill('#f-action', 'ec2:RunInstances');
  let count = Number(await page.getAttribute('body', 'data-evaluations'));
  await page.keyboard.press('Control+Enter');
  await page.waitForFunction((k) => Number(document.body.dataset.evaluations) > k, count);
  await page.check('#live');
  await applyFix(page, 0);
  assert.equal(await decision(page), 'allowed');
  assert.equal(JSON.parse(await page.inputValue('#context-editor textarea'))['aws:RequestedRegion'], 'eu-west-1');
  assert.deepEqual(await page.$$eval('[data-panel] textarea', (ts) => ts.map((t) => t.value)), panels, 'no policy changed');
  assert.match(await page.textContent('[data-testid="fix-applied"]'), /aws:RequestedRegion = eu-west-1/);
  // The VPC endpoint: the value replaces the one the request had, and only it.
  await openExample(page, 'vpc-endpoint-bucket', 0);
  assert.equal(await decision(page), 'explicitDeny');
  await applyFix(page, 0);
  assert.equal(await decision(page), 'allowed');
  assert.equal(JSON.parse(await page.inputValue('#context-editor textarea'))['aws:SourceVpce'], 'vpce-0a1b2c3d4e5f67890');
  // The refused fix is reported (and logged) as an error; nothing else may go wrong.
  assert.deepEqual(problems.filter((p) => !/inputs changed since this fix/.test(p)), []);
  await context.close();
});

test('a weakening asks first, naming what it weakens: Cancel leaves the policies, Weaken applies it', async () => {
  const { page, problems, context } = await open(b.browser);
  await openExample(page, 'prod-backups', 0);
  assert.equal(await decision(page), 'explicitDeny');
  // The first fix asks for another principal, whose policies the page does not have: no Apply.
  assert.equal(await page.getAttribute('[data-testid="fix-0"]', 'data-kind'), 'request');
  assert.match(await page.textContent('[data-testid="fix-0"]'), /arn:aws:iam::222222222222:role\/BackupAdmin/);
  assert.match(await page.textContent('[data-testid="fix-0"]'), /own policies were not given/);
  assert.ok(await page.$('[data-testid="fix-0"] [data-testid="fix-no-apply"]'));
  assert.equal(await page.$('[data-testid="apply-fix-0"]'), null);
  // The weakening: its button opens the confirmation.
  assert.equal(await page.getAttribute('[data-testid="fix-1"]', 'data-kind'), 'weakening');
  const policy = '[data-panel="resourcePolicy"] textarea';
  const before = await page.inputValue(policy);
  const count = Number(await page.getAttribute('body', 'data-evaluations'));
  await page.click('[data-testid="apply-fix-1"]');
  await page.waitForSelector('[data-testid="weaken-dialog"][open]');
  const words = await page.textContent('[data-testid="weaken-dialog"]');
  assert.match(words, /removes protection/);
  assert.match(await page.textContent('[data-testid="weaken-list"]'), /statement 0 "DenyDeletingBackups" of Resource-based policy/);
  assert.match(words, /s3:DeleteObjectVersion/, 'the neighbouring requests it lets through');
  assert.equal(await page.evaluate(() => document.activeElement.dataset.testid), 'weaken-cancel', 'Cancel has the focus');
  await shot(page, '06-weakening-confirm');
  await page.click('[data-testid="weaken-cancel"]');
  await page.waitForSelector('[data-testid="weaken-dialog"]', { state: 'hidden' });
  await page.waitForSelector('[data-testid="weaken-cancelled"]');
  assert.equal(await page.inputValue(policy), before, 'cancelled: the policy is as it was');
  assert.equal(Number(await page.getAttribute('body', 'data-evaluations')), count, 'cancelled: nothing evaluated');
  assert.equal(await decision(page), 'explicitDeny');
  // Escape cancels too.
  await page.click('[data-testid="apply-fix-1"]');
  await page.waitForSelector('[data-testid="weaken-dialog"][open]');
  await page.keyboard.press('Escape');
  await page.waitForSelector('[data-testid="weaken-dialog"]', { state: 'hidden' });
  assert.equal(await page.inputValue(policy), before);
  // Confirmed: the edit is applied and the request is allowed.
  await page.click('[data-testid="apply-fix-1"]');
  await page.waitForSelector('[data-testid="weaken-dialog"][open]');
  await page.click('[data-testid="weaken-confirm"]');
  await page.waitForFunction(() => document.querySelector('.verdict-card')?.dataset.decision === 'allowed');
  const text = await page.inputValue(policy);
  assert.match(text, /arn:aws:iam::222222222222:role\/Developer/);
  assert.ok((await node(page, 'end:allowed')).reached);
  await shot(page, '06-fix-applied');
  assert.deepEqual(problems, []);
  await context.close();
});

test('a grant fix applied puts policyAfter in its panel; an SCP level without an Allow gets FullAWSAccess', async () => {
  const { page, problems, context } = await open(b.browser);
  await openExample(page, 'boundary', 0);
  assert.equal(await decision(page), 'implicitDeny');
  assert.equal(await page.getAttribute('[data-testid="fix-0"]', 'data-kind'), 'grant');
  assert.match(await page.textContent('[data-testid="fix-0"] .fix-kind'), /Grant/);
  assert.match(await page.textContent('[data-testid="fix-0"] [data-testid="fix-proof"]'), /allowed after the edit/);
  await page.click('[data-testid="fix-0"] [data-testid="fix-unchanged"] summary');
  assert.ok(await page.isVisible('[data-testid="fix-0"] [data-testid="fix-unchanged"] .probe-list'));
  await applyFix(page, 0);
  assert.equal(await decision(page), 'allowed');
  assert.match(await page.inputValue('[data-panel="permissionsBoundary"] textarea'), /s3:PutBucketPolicy/);
  // An SCP level with no Allow: the grant attaches AWS's default, written as its name.
  const c = {
    principal: 'arn:aws:iam::111122223333:user/alice',
    action: 's3:GetObject',
    resource: 'arn:aws:s3:::b/k',
    resourceAccount: '111122223333',
    identityPolicies: [{ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }] }],
    scps: [['FullAWSAccess'], [{ Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: 'ec2:*', Resource: '*' }] }]],
  };
  const count = await pasteCase(page, c);
  await page.waitForFunction((k) => Number(document.body.dataset.evaluations) > k, count);
  assert.equal(await decision(page), 'implicitDeny');
  assert.match(await page.textContent('[data-testid="fix-notes"]'), /FullAWSAccess attached/);
  await applyFix(page, 0);
  assert.equal(await decision(page), 'allowed');
  assert.equal(await page.inputValue('[data-panel="scps[1][1]"] textarea'), '"FullAWSAccess"');
  assert.deepEqual(problems, []);
  await context.close();
});

test('malformed JSON in a panel shows a located message in that panel and the page stays', async () => {
  const { page, problems, context } = await open(b.browser);
  await openExample(page, 'prod-backups', 0);
  const area = '[data-panel="identityPolicies[0]"] textarea';
  await page.fill(area, '{\n  "Version": "2012-10-17",\n  "Statement": [\n    {"Effect": "Allow" "Action": "s3:*", "Resource": "*"}\n  ]\n}');
  const msg = await page.waitForSelector('[data-panel="identityPolicies[0]"] .msg-error');
  assert.match(await msg.textContent(), /line 4, column 24: .*expected `,` or `}`/);
  assert.ok(await page.$('[data-panel="identityPolicies[0]"] .ed-ln-error'), 'a gutter marker on the line');
  await page.click('#evaluate');
  await page.waitForSelector('[data-testid="result-error"]');
  assert.match(await page.textContent('[data-testid="result-error"]'), /Not evaluated.*Identity-based policy 1/);
  // The rest of the page is still there: the last result, the flow and the other panels.
  assert.equal(await decision(page), 'explicitDeny');
  assert.ok(await page.$('svg.flow [data-node="deny"]'));
  assert.ok(await page.$('[data-panel="resourcePolicy"] textarea'));
  // A grammar error the server finds (not JSON's) is located too, in the same panel.
  await page.fill(area, '{\n  "Version": "2012-10-17",\n  "Statement": [\n    {"Effect": "Allw", "Action": "s3:*", "Resource": "*"}\n  ]\n}');
  await page.click('#evaluate');
  await page.waitForSelector('[data-testid="result-error"]');
  const located = await page.waitForSelector('[data-panel="identityPolicies[0]"] .msg-error');
  assert.match(await located.textContent(), /line 4/);
  // Malformed context is located in the context editor.
  await page.fill('#context-editor textarea', '{"aws:RequestedRegion": }');
  await page.waitForSelector('#context-editor .ed-messages .msg-error');
  assert.match(await page.textContent('#context-editor .ed-messages .msg-error'), /line 1, column 25/);
  await shot(page, '07-malformed');
  // The server's 400 for the policy it rejects is expected; nothing else may go wrong.
  assert.deepEqual(problems.filter((p) => !/status of 400/.test(p)), []);
  await context.close();
});

test('a phone-sized viewport in dark mode: everything fits the width and the decision is shown', async () => {
  const { page, problems, context } = await open(b.browser, '/ui/#example=region-lock/0', { viewport: { width: 375, height: 800 }, colorScheme: 'dark' });
  assert.equal(await decision(page), 'explicitDeny');
  assert.ok((await node(page, 'layer:scp[1]')).deciding);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(overflow <= 0, `the page scrolls sideways by ${overflow}px`);
  const svgWidth = await page.$eval('svg.flow', (s) => s.getBoundingClientRect().width);
  assert.ok(svgWidth <= 375, `the flow is ${svgWidth}px wide`);
  await shot(page, '08-narrow');
  assert.deepEqual(problems, []);
  await context.close();
});

test('keyboard only: edit the action, evaluate with Ctrl+Enter, open a box with Enter', async () => {
  const { page, problems, context } = await open(b.browser, '/ui/#example=prod-backups/0');
  // Tab from the top of the page to the Action field.
  let guard = 0;
  while ((await page.evaluate(() => document.activeElement && document.activeElement.id)) !== 'f-action') {
    await page.keyboard.press('Tab');
    assert.ok(++guard < 40, 'the Action field is reachable with Tab');
  }
  await page.keyboard.press('Control+A');
  await page.keyboard.type('s3:GetObject');
  await page.keyboard.press('Control+Enter');
  await page.waitForFunction(() => document.querySelector('.verdict-card')?.dataset.decision === 'allowed');
  // Tab on to the flow's boxes and open one with Enter.
  guard = 0;
  while ((await page.evaluate(() => document.activeElement && document.activeElement.dataset && document.activeElement.dataset.node)) !== 'layer:identity') {
    await page.keyboard.press('Tab');
    assert.ok(++guard < 400, 'the identity box is reachable with Tab');
  }
  const outline = await page.evaluate(() => getComputedStyle(document.activeElement.querySelector('.box')).strokeWidth);
  assert.ok(parseFloat(outline) >= 3, `a visible focus ring (stroke ${outline})`);
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.querySelector('#details-h')?.textContent === 'Identity-based policies');
  assert.equal(await page.evaluate(() => document.activeElement.dataset.node), 'layer:identity', 'focus stays on the box');
  // Arrow keys move between boxes; Space opens one too.
  await page.keyboard.press('ArrowUp');
  assert.equal(await page.evaluate(() => document.activeElement.dataset.node), 'layer:resource');
  await page.keyboard.press(' ');
  await page.waitForFunction(() => document.querySelector('#details-h')?.textContent === 'Resource-based policy');
  await shot(page, '09-keyboard');
  assert.deepEqual(problems, []);
  await context.close();
});

test('every example case decides as its file expects, through the page', async () => {
  const { page, problems, context } = await open(b.browser);
  const list = await (await fetch(`${BASE}/ui/examples`)).json();
  let n = 0;
  for (const ex of list.examples) {
    for (const c of ex.cases) {
      await openExample(page, ex.name, c.index);
      assert.equal(await decision(page), c.expect.decision, `${ex.name} case ${c.index}`);
      assert.ok((await node(page, `end:${c.expect.decision}`)).reached, `${ex.name} case ${c.index}: the lit end`);
      n++;
    }
  }
  assert.ok(n >= 31, `${n} cases`);
  assert.deepEqual(problems, []);
  await context.close();
});

test('every denied example has a fix that, applied in the page, allows the request', async () => {
  const { page, problems, context } = await open(b.browser);
  const list = await (await fetch(`${BASE}/ui/examples`)).json();
  let n = 0;
  let weakenings = 0;
  for (const ex of list.examples) {
    for (const c of ex.cases.filter((x) => x.expect.decision !== 'allowed')) {
      await openExample(page, ex.name, c.index);
      const where = `${ex.name} case ${c.index}`;
      const kinds = await page.$$eval('[data-testid^="fix-"][data-kind]', (els) => els.map((e) => e.dataset.kind));
      const rank = { request: 0, grant: 1, weakening: 2 };
      assert.deepEqual([...kinds].sort((a, b) => rank[a] - rank[b]), kinds, `${where}: requests, then grants, then weakenings`);
      // The first fix the page can apply.
      const button = await page.$('[data-testid^="apply-fix-"]');
      assert.ok(button, `${where}: a fix to apply`);
      const kind = await button.getAttribute('data-kind');
      if (kinds.some((k) => k !== 'weakening' && k !== 'request')) assert.notEqual(kind, 'weakening', `${where}: a grant comes before a weakening`);
      const count = Number(await page.getAttribute('body', 'data-evaluations'));
      await button.click();
      if (kind === 'weakening') {
        await page.waitForSelector('[data-testid="weaken-dialog"][open]');
        assert.match(await page.textContent('[data-testid="weaken-list"]'), /\S/, `${where}: the confirmation names what it weakens`);
        await page.click('[data-testid="weaken-confirm"]');
        weakenings++;
      }
      await page.waitForFunction((k) => Number(document.body.dataset.evaluations) > k, count);
      assert.equal(await decision(page), 'allowed', where);
      n++;
    }
  }
  assert.ok(n >= 16, `${n} fixes`);
  assert.ok(weakenings >= 1, 'some example is fixed only by a weakening, confirmed');
  assert.deepEqual(problems, []);
  await context.close();
});

test('lint findings appear as marks in the panel they concern', async () => {
  const { page, problems, context } = await open(b.browser);
  const area = '[data-panel="identityPolicies[0]"] textarea';
  await page.fill(area, '{\n  "Version": "2012-10-17",\n  "Statement": [\n    {"Effect": "Allow", "Action": "s3:GetObjekt", "Resource": "*"}\n  ]\n}');
  const msg = await page.waitForSelector('[data-panel="identityPolicies[0]"] .ed-messages .msg-error');
  assert.match(await msg.textContent(), /line 4, column 35: .*s3:GetObjekt/);
  const marked = await page.$eval('[data-panel="identityPolicies[0]"] .ed-overlay .mk-error', (e) => e.textContent);
  assert.equal(marked, '"s3:GetObjekt"');
  // The message is also shown for the caret's position, for keyboard users.
  await page.focus(area);
  await page.$eval(area, (t) => t.setSelectionRange(t.value.indexOf('GetObjekt'), t.value.indexOf('GetObjekt')));
  await page.keyboard.press('ArrowRight');
  assert.match(await page.textContent('[data-panel="identityPolicies[0]"] .ed-status'), /s3:GetObjekt/);
  await shot(page, '10-lint');
  assert.deepEqual(problems, []);
  await context.close();
});

test('save the case, then load it back by pasting and from a file: the same decision', async () => {
  const { page, problems, context } = await open(b.browser, '/ui/#example=boundary/0');
  assert.equal(await decision(page), 'implicitDeny');
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#save-case')]);
  const path = await download.path();
  const { readFileSync } = await import('node:fs');
  const saved = readFileSync(path, 'utf8');
  const c = JSON.parse(saved);
  assert.equal(c.action, 's3:PutBucketPolicy');
  assert.equal(typeof c.permissionsBoundary, 'object', 'policies are saved inline');
  assert.equal(c.expect.decision, 'implicitDeny');
  // Paste it back, wrapped in a file of two cases with a policies library: the case picker appears.
  const lib = { cases: [{ ...c, action: 's3:GetObject', resource: 'arn:aws:s3:::example-prod-app-data/x', expect: undefined }, c] };
  await openExample(page, 'prod-backups', 2);
  await page.click('#paste-case');
  await page.fill('#paste-editor textarea', JSON.stringify(lib, null, 2));
  let count = Number(await page.getAttribute('body', 'data-evaluations'));
  await page.click('#paste-load');
  await page.waitForFunction((k) => Number(document.body.dataset.evaluations) > k, count);
  assert.ok(await page.$('#case-index'), 'a case picker for a file of several cases');
  count = Number(await page.getAttribute('body', 'data-evaluations'));
  await page.selectOption('#case-index', '1');
  await page.waitForFunction((k) => Number(document.body.dataset.evaluations) > k, count);
  assert.equal(await decision(page), 'implicitDeny');
  // A malformed paste is located in the dialog and loads nothing.
  await page.click('#paste-case');
  await page.fill('#paste-editor textarea', '{"cases": [\n  {"principal": "x",, }\n]}');
  await page.click('#paste-load');
  assert.match(await page.textContent('#paste-error'), /Line 2, column 21/);
  await page.click('#paste-cancel');
  // And from a file, through the file input.
  count = Number(await page.getAttribute('body', 'data-evaluations'));
  await page.setInputFiles('#file-input', { name: 'saved.json', mimeType: 'application/json', buffer: Buffer.from(saved) });
  await page.waitForFunction((k) => Number(document.body.dataset.evaluations) > k, count);
  assert.equal(await decision(page), 'implicitDeny');
  assert.match(await page.textContent('#case-info'), /saved\.json/);
  assert.deepEqual(problems, []);
  await context.close();
});

async function pasteCase(page, c) {
  const count = Number((await page.getAttribute('body', 'data-evaluations')) || 0);
  await page.click('#paste-case');
  await page.fill('#paste-editor textarea', JSON.stringify(c, null, 2));
  await page.click('#paste-load');
  return count;
}

test('a fix of several edits is applied as one; request errors are shown beside their field', async () => {
  const { page, problems, context } = await open(b.browser);
  // Cross-account with no policies at all: both sides must allow, so the fix edits both.
  const c = {
    principal: 'arn:aws:iam::111122223333:user/alice',
    action: 's3:GetObject',
    resource: 'arn:aws:s3:::partner-bucket/report.csv',
    resourceAccount: '444455556666',
  };
  const count = await pasteCase(page, c);
  await page.waitForFunction((k) => Number(document.body.dataset.evaluations) > k, count);
  assert.equal(await decision(page), 'implicitDeny');
  assert.ok((await node(page, 'layer:identity')).deciding);
  assert.ok((await node(page, 'layer:resource')).deciding);
  assert.match(await page.textContent('[data-testid="apply-fix-0"]'), /Apply the 2 edits/);
  await applyFix(page, 0);
  assert.equal(await decision(page), 'allowed');
  // A principal the server cannot read: the message sits under the Principal field.
  await page.fill('#f-principal', 'arn:aws:nothing');
  await page.keyboard.press('Control+Enter');
  await page.waitForSelector('[data-testid="result-error"]');
  assert.match(await page.textContent('#f-principal-err'), /principal `arn:aws:nothing` is not/);
  assert.equal(await decision(page), 'allowed', 'the last result stays');
  assert.deepEqual(problems.filter((p) => !/status of 400/.test(p)), []);
  await context.close();
});

test('Live: an edit is evaluated a moment later without pressing Evaluate', async () => {
  const { page, problems, context } = await open(b.browser, '/ui/#example=prod-backups/0');
  assert.match(await page.textContent('[data-testid="expect"]'), /as the case expects/);
  assert.ok(await page.isChecked('#live'));
  await page.fill('#f-action', 's3:GetObject');
  await page.waitForFunction(() => document.querySelector('.verdict-card')?.dataset.decision === 'allowed');
  assert.match(await page.textContent('[data-testid="expect"]'), /the case expects Explicit deny/);
  // Live off: edits only mark the result stale.
  await page.uncheck('#live');
  const count = Number(await page.getAttribute('body', 'data-evaluations'));
  await page.fill('#f-action', 's3:DeleteObject');
  await page.waitForTimeout(1200);
  assert.equal(Number(await page.getAttribute('body', 'data-evaluations')), count);
  assert.ok(await page.$('.stale-note'));
  assert.deepEqual(problems, []);
  await context.close();
});

test('S3 Block Public Access: the deny is drawn on the bucket policy box, in its own words', async () => {
  const { page, problems, context } = await open(b.browser);
  const c = {
    principal: 'anonymous',
    action: 's3:GetObject',
    resource: 'arn:aws:s3:::example-bucket/reports/2024.csv',
    resourceAccount: '111122223333',
    resourcePolicy: {
      Version: '2012-10-17',
      Statement: [{ Sid: 'Public', Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::example-bucket/*' }],
    },
    s3: { blockPublicAccess: { restrictPublicBuckets: true } },
  };
  const count = await pasteCase(page, c);
  await page.waitForFunction((k) => Number(document.body.dataset.evaluations) > k, count);
  assert.equal(await decision(page), 'explicitDeny');
  assert.match(await page.textContent('#case-info'), /Also sent as loaded: s3/);
  const res = await node(page, 'layer:resource');
  assert.ok(res.deciding);
  assert.match(await page.getAttribute('[data-node="layer:resource"]', 'aria-label'), /S3 Block Public Access denies/);
  assert.match(await page.getAttribute('[data-node="deny"]', 'aria-label'), /found in S3 Block Public Access/);
  assert.deepEqual(problems, []);
  await context.close();
});

test('an unknown example in the address: an error in place, the page still usable', async () => {
  const { page, problems, context } = await open(b.browser, '/ui/#example=no-such-example/0');
  assert.match(await page.textContent('#banner'), /example no-such-example: no example `no-such-example`/);
  assert.ok(await page.$('#f-action'));
  await openExample(page, 'region-lock', 1);
  assert.equal(await decision(page), 'allowed');
  // The 404 and the error the page reports (and logs) are expected.
  assert.deepEqual(problems.filter((p) => !/status of 404|no-such-example/.test(p)), []);
  await context.close();
});

test('a condition key the request lacks is added to the context with one click', async () => {
  const { page, problems, context } = await open(b.browser, '/ui/#example=cross-account-external-id/0');
  assert.equal(await decision(page), 'implicitDeny');
  await page.uncheck('#live');
  await page.click('button.ctx-key:has-text("sts:ExternalId")');
  assert.ok(await page.evaluate(() => document.activeElement.closest('#context-editor') !== null), 'the caret is in the context');
  await page.keyboard.type('Example-7c1d');
  assert.match(await page.inputValue('#context-editor textarea'), /"sts:ExternalId": "Example-7c1d"/);
  await page.keyboard.press('Control+Enter');
  await page.waitForFunction(() => document.querySelector('.verdict-card')?.dataset.decision === 'allowed');
  assert.deepEqual(problems, []);
  await context.close();
});
