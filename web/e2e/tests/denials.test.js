// The denial trends page in headless Chromium: CloudTrail files picked by the user are read,
// gunzipped and counted in the page, with no request leaving it while it counts (decision D160).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { launch, open, shot } from './browser.js';

let b;
before(async () => {
  b = await launch();
});
after(async () => {
  await b.close();
});

const ACCOUNT = '123456789012';

function denied(user, name, hour, id, code = 'AccessDenied') {
  return {
    eventVersion: '1.09',
    eventID: `00000000-0000-0000-0000-${String(id).padStart(12, '0')}`,
    eventTime: `2026-11-20T${hour}:05:00Z`,
    eventSource: 's3.amazonaws.com',
    eventName: name,
    awsRegion: 'eu-west-1',
    userIdentity: { type: 'IAMUser', arn: `arn:aws:iam::${ACCOUNT}:user/${user}`, accountId: ACCOUNT, userName: user },
    requestParameters: { bucketName: 'reports', key: 'q1.csv' },
    errorCode: code,
    errorMessage: `User: arn:aws:iam::${ACCOUNT}:user/${user} is not authorized to perform: s3:${name}`,
  };
}

const file = (name, value, gzip = false) => {
  const text = Buffer.from(JSON.stringify(value));
  return { name, mimeType: gzip ? 'application/gzip' : 'application/json', buffer: gzip ? gzipSync(text) : text };
};

const ec2 = {
  eventTime: '2026-11-20T11:30:00Z',
  eventSource: 'ec2.amazonaws.com',
  eventName: 'RunInstances',
  userIdentity: { type: 'AssumedRole', arn: `arn:aws:sts::${ACCOUNT}:assumed-role/app/i-0abc` },
  errorCode: 'Client.UnauthorizedOperation',
  errorMessage: 'You are not authorized to perform this operation. Encoded authorization failure message: xyz',
};
const ok = { ...denied('dev', 'GetObject', '10', 90) };
delete ok.errorCode;
delete ok.errorMessage;
const throttled = { ...denied('dev', 'GetObject', '10', 91), errorCode: 'ThrottlingException' };

const current = file('current.json.gz', {
  Records: [
    denied('dev', 'GetObject', '10', 1),
    denied('dev', 'GetObject', '10', 2),
    denied('dev', 'GetObject', '10', 2), // the same record delivered twice: counted once
    denied('dev', 'GetObject', '10', 3),
    denied('dev', 'PutObject', '11', 4),
    ec2,
    ok,
    throttled,
  ],
}, true);
const lookup = file('lookup-events.json', { Events: [{ EventId: 'x', CloudTrailEvent: JSON.stringify(denied('ci', 'GetObject', '13', 5)) }] });
const baseline = file('baseline.json', { Records: [denied('dev', 'GetObject', '09', 6)] });

/** Every request, WebSocket and beacon the page makes from now on. */
function watchNetwork(page) {
  const seen = [];
  page.on('request', (r) => seen.push(`request ${r.method()} ${r.url()}`));
  page.on('websocket', (w) => seen.push(`websocket ${w.url()}`));
  return seen;
}

test('CloudTrail files are counted in the page, charted per hour, with new patterns against a baseline, and nothing leaves the page', async () => {
  const { page, context, problems } = await open(b.browser, '/ui/denials.html', { viewport: { width: 1280, height: 1100 } });
  const network = watchNetwork(page);
  await page.setInputFiles('#d-files', [current, lookup]);
  await page.setInputFiles('#d-baseline', [baseline]);
  await page.click('#d-count');
  await page.waitForSelector('[data-testid="denials-chart"]', { timeout: 20000 });
  const summary = await page.textContent('[data-testid="denials-summary"]');
  assert.match(summary, /6 denied events of 9 records in 2 files/);
  assert.match(summary, /1 duplicate record counted once/);
  assert.match(summary, /3 patterns new against the baseline \(1 denial\)/);
  // One bar per hour, in time order, hour 12 (no denial) too; hour 11's two denials are both of new patterns.
  const bars = await page.$$eval('[data-testid="denials-chart"] g.bar', (gs) => gs.map((g) => [g.dataset.hour, g.dataset.count, g.dataset.new]));
  assert.deepEqual(bars, [
    ['2026-11-20T10:00Z', '3', '0'],
    ['2026-11-20T11:00Z', '2', '2'],
    ['2026-11-20T12:00Z', '0', '0'],
    ['2026-11-20T13:00Z', '1', '1'],
  ]);
  const rows = await page.$$eval('[data-testid="top-patterns"] tr', (trs) => trs.map((tr) => [...tr.cells].map((c) => c.textContent)));
  assert.deepEqual(rows[0], ['3', `arn:aws:iam::${ACCOUNT}:user/dev`, 's3:GetObject', 'AccessDenied', '']);
  const fresh = rows.filter((r) => r[4] === 'new').map((r) => `${r[1]} ${r[2]} ${r[3]}`).sort();
  assert.deepEqual(fresh, [
    `arn:aws:iam::${ACCOUNT}:user/ci s3:GetObject AccessDenied`,
    `arn:aws:iam::${ACCOUNT}:user/dev s3:PutObject AccessDenied`,
    `arn:aws:sts::${ACCOUNT}:assumed-role/app/i-0abc ec2:RunInstances Client.UnauthorizedOperation`,
  ]);
  assert.match(await page.textContent('[data-testid="by-error-code"]'), /1\s*Client\.UnauthorizedOperation/);
  assert.doesNotMatch(await page.textContent('[data-testid="by-error-code"]'), /Throttling/);
  await shot(page, '30-denials');
  assert.deepEqual(network, [], 'no request may leave the page while it counts');
  assert.deepEqual(problems, []);
  await context.close();
});

test('a file that is not CloudTrail is refused with one line naming it', async () => {
  const { page, context, problems } = await open(b.browser, '/ui/denials.html');
  const network = watchNetwork(page);
  const cases = [
    [file('gaad.json', { UserDetailList: [], RoleDetailList: [] }), /^gaad\.json: not CloudTrail events/],
    [{ name: 'broken.json.gz', mimeType: 'application/gzip', buffer: Buffer.from([0x1f, 0x8b, 0, 1, 2, 3]) }, /^broken\.json\.gz: not valid gzip/],
    [{ name: 'notes.json', mimeType: 'application/json', buffer: Buffer.from('{"Records": [') }, /^notes\.json: invalid JSON/],
  ];
  for (const [bad, says] of cases) {
    await page.setInputFiles('#d-files', [current, bad]);
    await page.click('#d-count');
    await page.waitForSelector('[data-testid="denials-error"]', { timeout: 20000 });
    const text = (await page.textContent('[data-testid="denials-error"]')).trim();
    assert.match(text, says);
    assert.ok(!text.includes('\n'), text);
    assert.equal(await page.$('[data-testid="denials-chart"]'), null, 'no chart from a refused input');
  }
  assert.deepEqual(network, []);
  assert.deepEqual(problems, []);
  await context.close();
});
