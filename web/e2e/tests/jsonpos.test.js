// The page's JSON reader, in Node: every error located at the line and column an editor shows.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseJson, positionOf, offsetOf } from '../../jsonpos.js';

const err = (text) => {
  const r = parseJson(text);
  assert.equal(r.ok, false, text);
  return r.error;
};

test('valid JSON reads as JSON.parse reads it', () => {
  for (const t of ['{}', '[]', '"x"', '0', '-1.5e3', 'true', 'null', '{"a": [1, {"b": "\\u00e9\\n"}], "c": false}']) {
    assert.deepEqual(parseJson(t), { ok: true, value: JSON.parse(t) });
  }
});

test('errors are located where an editor puts the caret', () => {
  const cases = [
    ['{\n  "a": 1\n  "b": 2\n}', 3, 3, /expected `,` or `}`, found `"`/],
    ['{"a": 1,}', 1, 8, /trailing comma/],
    ['[1, 2,]', 1, 6, /trailing comma/],
    ['{"a": }', 1, 7, /expected a value, found `}`/],
    ["{'a': 1}", 1, 2, /double quotes/],
    ['{"a": "b\n"}', 1, 7, /unterminated string/],
    ['{"a": 1', 1, 1, /unclosed `\{`/],
    ['{"a": 1} x', 1, 10, /after the end/],
    ['{"a": 1, "a": 2}', 1, 10, /duplicate key "a"/],
    ['', 1, 1, /empty/],
    ['{"a": tru}', 1, 7, /expected a value/],
    ['{"é": 1 2}', 1, 9, /expected `,` or `}`/],
  ];
  for (const [text, line, column, message] of cases) {
    const e = err(text);
    assert.deepEqual([e.line, e.column], [line, column], `${JSON.stringify(text)}: ${e.message}`);
    assert.match(e.message, message);
  }
});

test('positions and offsets agree, counting characters as the server does', () => {
  const text = '{\n  "k": "😀x",\n  "z": 1\n}';
  for (let off = 0; off <= text.length; off++) {
    // Skip the middle of a surrogate pair: no caret stands there.
    if (off > 0 && text.charCodeAt(off - 1) >= 0xd800 && text.charCodeAt(off - 1) < 0xdc00) continue;
    const { line, column } = positionOf(text, off);
    assert.equal(offsetOf(text, line, column), off, `offset ${off}`);
  }
  assert.deepEqual(positionOf(text, text.indexOf('x')), { line: 2, column: 10 });
});
