// A strict JSON reader that says where it stopped: line and column of the first error, as
// editors count them (line from 1, column from 1, in characters). JSON.parse's messages differ
// between browsers and often give only an offset; this one is the same everywhere.

/** Line (from 1) and column (from 1, in code points) of a UTF-16 offset of `text`. */
export function positionOf(text, offset) {
  let line = 1;
  let lineStart = 0;
  const end = Math.min(offset, text.length);
  for (let i = 0; i < end; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  const column = Array.from(text.slice(lineStart, end)).length + 1;
  return { line, column };
}

/** The UTF-16 offset of a line (from 1) and column (from 1, in code points); clamped to the text. */
export function offsetOf(text, line, column) {
  let off = 0;
  for (let l = 1; l < line; l++) {
    const nl = text.indexOf('\n', off);
    if (nl < 0) return text.length;
    off = nl + 1;
  }
  let lineEnd = text.indexOf('\n', off);
  if (lineEnd < 0) lineEnd = text.length;
  let col = 1;
  while (off < lineEnd && col < column) {
    const cp = text.codePointAt(off);
    off += cp > 0xffff ? 2 : 1;
    col++;
  }
  return off;
}

class JsonError extends Error {
  constructor(message, offset) {
    super(message);
    this.offset = offset;
  }
}

function describe(ch) {
  if (ch === undefined) return 'the end of the text';
  if (ch === '\n') return 'a line break';
  if (ch === '\t') return 'a tab';
  return '`' + ch + '`';
}

/**
 * Parses `text` as one JSON value.
 * Returns {ok: true, value} or {ok: false, error: {message, offset, line, column}}.
 */
export function parseJson(text) {
  let i = 0;
  const ws = () => {
    while (i < text.length) {
      const c = text[i];
      if (c === ' ' || c === '\t' || c === '\n' || c === '\r') i++;
      else break;
    }
  };
  const fail = (msg, at = i) => {
    throw new JsonError(msg, at);
  };
  const value = (depth) => {
    if (depth > 64) fail('nested too deeply');
    ws();
    const c = text[i];
    if (c === '{') return object(depth);
    if (c === '[') return array(depth);
    if (c === '"') return string();
    if (c === '-' || (c >= '0' && c <= '9')) return number();
    for (const [word, v] of [['true', true], ['false', false], ['null', null]]) {
      if (text.startsWith(word, i)) {
        i += word.length;
        return v;
      }
    }
    if (c === undefined) fail('expected a value, found the end of the text');
    if (c === "'") fail('strings must use double quotes (`"`), not single quotes');
    if (c === '}' || c === ']') fail(`expected a value, found ${describe(c)}`);
    fail(`expected a value, found ${describe(c)}`);
  };
  const object = (depth) => {
    const open = i;
    i++;
    const out = {};
    ws();
    if (text[i] === '}') {
      i++;
      return out;
    }
    for (;;) {
      ws();
      if (text[i] !== '"') {
        if (text[i] === '}') fail('trailing comma: remove the `,` before `}`', lastComma);
        if (text[i] === undefined) fail('unclosed `{`: expected `}`', open);
        fail(`expected a key in double quotes, found ${describe(text[i])}`);
      }
      const keyAt = i;
      const key = string();
      ws();
      if (text[i] !== ':') fail(`expected \`:\` after the key "${key}", found ${describe(text[i])}`);
      i++;
      if (Object.prototype.hasOwnProperty.call(out, key)) fail(`duplicate key "${key}"`, keyAt);
      out[key] = value(depth + 1);
      ws();
      if (text[i] === ',') {
        var lastComma = i;
        i++;
        continue;
      }
      if (text[i] === '}') {
        i++;
        return out;
      }
      if (text[i] === undefined) fail('unclosed `{`: expected `}`', open);
      fail(`expected \`,\` or \`}\`, found ${describe(text[i])}`);
    }
  };
  const array = (depth) => {
    const open = i;
    i++;
    const out = [];
    ws();
    if (text[i] === ']') {
      i++;
      return out;
    }
    for (;;) {
      ws();
      if (text[i] === ']' && out.length > 0) fail('trailing comma: remove the `,` before `]`', lastComma);
      out.push(value(depth + 1));
      ws();
      if (text[i] === ',') {
        var lastComma = i;
        i++;
        continue;
      }
      if (text[i] === ']') {
        i++;
        return out;
      }
      if (text[i] === undefined) fail('unclosed `[`: expected `]`', open);
      fail(`expected \`,\` or \`]\`, found ${describe(text[i])}`);
    }
  };
  const string = () => {
    const open = i;
    i++;
    let out = '';
    for (;;) {
      const c = text[i];
      if (c === undefined || c === '\n') fail('unterminated string: expected a closing `"`', open);
      if (c === '"') {
        i++;
        return out;
      }
      if (c < ' ') fail('control character in a string: write it as an escape such as `\\n`');
      if (c === '\\') {
        const e = text[i + 1];
        const map = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
        if (e in map) {
          out += map[e];
          i += 2;
        } else if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) {
          out += String.fromCharCode(parseInt(text.slice(i + 2, i + 6), 16));
          i += 6;
        } else {
          fail(`invalid escape \`\\${e ?? ''}\` in a string`);
        }
        continue;
      }
      out += c;
      i++;
    }
  };
  const number = () => {
    const m = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(text.slice(i));
    if (!m) fail('invalid number');
    i += m[0].length;
    return Number(m[0]);
  };
  try {
    ws();
    if (i >= text.length) throw new JsonError('empty: expected a JSON value', 0);
    const v = value(0);
    ws();
    if (i < text.length) fail(`unexpected ${describe(text[i])} after the end of the JSON value`);
    return { ok: true, value: v };
  } catch (e) {
    if (!(e instanceof JsonError)) throw e;
    const offset = Math.min(e.offset, text.length);
    return { ok: false, error: { message: e.message, offset, ...positionOf(text, offset) } };
  }
}
