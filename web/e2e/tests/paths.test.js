// The escalation paths page in headless Chromium, against a server holding the real lab dump
// (scripts/e2e.sh starts it and gives its address in IAMSPECT_PATHS_URL).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, open, shot, BASE } from './browser.js';

const PATHS = process.env.IAMSPECT_PATHS_URL || '';
const USER = 'arn:aws:iam::200611803367:user/privesc4-CreateAccessKey-user';

let b;
before(async () => {
  b = await launch();
});
after(async () => {
  await b.close();
});

const openPaths = (base) => open(b.browser, '/ui/paths.html', { viewport: { width: 1280, height: 1000 }, base });

test('a server without account data says so on the paths page', async () => {
  const { page, context, problems } = await openPaths(BASE);
  assert.match(await page.textContent('#banner'), /holds no account data/);
  assert.deepEqual(problems, []);
  await context.close();
});

test('one principal\'s path to admin is drawn, and each hop opens its requests explained by the server', { skip: !PATHS && !process.env.CI ? 'no IAMSPECT_PATHS_URL (../shared absent)' : false }, async () => {
  assert.ok(PATHS, 'IAMSPECT_PATHS_URL is set by scripts/e2e.sh when ../shared is present (CI requires it)');
  const { page, context, problems } = await openPaths(PATHS);
  await page.fill('#p-from', USER);
  await page.click('#p-find');
  await page.waitForSelector('svg.paths-chain', { timeout: 60000 });
  assert.match(await page.textContent('[data-testid="paths-result"]'), /reaches admin in/);
  // The first hop is the user's own technique.
  const first = page.locator('[data-testid="hop-0-0"]');
  assert.match(await first.textContent(), /iam:CreateAccessKey/);
  await first.click();
  await page.waitForSelector('[data-testid="hop-verdict"] .decision', { timeout: 20000 });
  assert.match(await page.textContent('[data-testid="hop"]'), /can create an access key for/);
  assert.match(await page.textContent('[data-testid="hop-verdict"]'), /Allowed/);
  assert.match(await page.textContent('[data-testid="hop-verdict"]'), /privesc4-CreateAccessKey/);
  await shot(page, '20-paths');
  // Keyboard: a hop is reachable and opens with Enter.
  await page.focus('[data-testid="hop-0-0"]');
  await page.keyboard.press('Enter');
  await page.waitForSelector('[data-testid="hop-verdict"] .decision', { timeout: 20000 });
  assert.deepEqual(problems, []);
  // A principal that does not exist is refused with the server's words.
  await page.fill('#p-from', 'arn:aws:iam::200611803367:user/nobody');
  await page.click('#p-find');
  await page.waitForSelector('[data-testid="paths-result"] .alert-error', { timeout: 20000 });
  assert.match(await page.textContent('[data-testid="paths-result"]'), /nobody/);
  await context.close();
});
