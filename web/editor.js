// A light JSON editor: a textarea with line numbers and an overlay behind it that draws marks
// (syntax errors, lint findings, statement highlights). The marks' messages are listed under the
// editor and shown for the line the caret is on, so they work without a mouse.

import { h, fill } from './dom.js';
import { positionOf } from './jsonpos.js';

let nextId = 0;

const SEVERITY_ORDER = { error: 0, warning: 1, suggestion: 2, info: 3 };

export class Editor {
  /**
   * @param {object} o
   * @param {string} o.label  accessible name of the text area
   * @param {string} [o.value]
   * @param {(ed: Editor) => void} [o.onInput]
   * @param {boolean} [o.readOnly]
   * @param {number} [o.maxRows]
   */
  constructor(o) {
    this.id = `ed${nextId++}`;
    this.onInput = o.onInput || (() => {});
    this.groups = new Map(); // group name -> marks
    this.maxRows = o.maxRows || 22;
    this.gutter = h('div', { class: 'ed-gutter', 'aria-hidden': 'true' });
    this.overlay = h('pre', { class: 'ed-overlay', 'aria-hidden': 'true' });
    this.textarea = h('textarea', {
      class: 'ed-text',
      id: this.id,
      spellcheck: 'false',
      autocapitalize: 'off',
      autocomplete: 'off',
      wrap: 'off',
      'aria-label': o.label,
      'aria-describedby': `${this.id}-status ${this.id}-msgs`,
      readonly: o.readOnly || undefined,
    });
    this.status = h('div', { class: 'ed-status', id: `${this.id}-status`, 'aria-live': 'polite' });
    this.messages = h('ul', { class: 'ed-messages', id: `${this.id}-msgs`, 'aria-label': `Problems in ${o.label}` });
    this.el = h(
      'div',
      { class: 'editor' },
      h('div', { class: 'ed-body' }, this.gutter, h('div', { class: 'ed-area' }, this.overlay, this.textarea)),
      this.status,
      this.messages,
    );
    this.textarea.addEventListener('input', () => {
      // Marks computed for the old text no longer line up: drop all but the newest syntax check,
      // which the owner recomputes in onInput.
      this.groups.clear();
      this.render();
      this.onInput(this);
    });
    this.textarea.addEventListener('scroll', () => this.syncScroll());
    for (const ev of ['keyup', 'click', 'focus', 'select']) this.textarea.addEventListener(ev, () => this.showCaret());
    this.textarea.addEventListener('blur', () => this.renderStatus(null));
    this.value = o.value || '';
  }

  get value() {
    return this.textarea.value;
  }

  set value(v) {
    this.textarea.value = v;
    this.groups.clear();
    this.render();
  }

  /** Replaces the marks of one group: [{start, end, kind, message}] with UTF-16 offsets. */
  setMarks(group, marks) {
    if (marks && marks.length) this.groups.set(group, marks);
    else this.groups.delete(group);
    this.render();
  }

  allMarks() {
    return [...this.groups.values()].flat();
  }

  syncScroll() {
    const { scrollTop, scrollLeft } = this.textarea;
    this.overlay.style.transform = `translate(${-scrollLeft}px, ${-scrollTop}px)`;
    this.gutter.firstChild && (this.gutter.firstChild.style.transform = `translateY(${-scrollTop}px)`);
  }

  render() {
    const text = this.textarea.value;
    const lines = text.split('\n');
    this.textarea.rows = Math.max(3, Math.min(this.maxRows, lines.length));
    const marks = this.allMarks();
    // Gutter: line numbers, and a marker on lines where a message starts.
    const byLine = new Map();
    for (const m of marks) {
      if (!m.message) continue;
      const line = positionOf(text, m.start).line;
      const prev = byLine.get(line);
      if (!prev || SEVERITY_ORDER[m.kind] < SEVERITY_ORDER[prev.kind]) byLine.set(line, m);
    }
    const nums = h('div', { class: 'ed-lines' });
    lines.forEach((_, i) => {
      const m = byLine.get(i + 1);
      nums.append(h('div', { class: ['ed-ln', m && `ed-ln-${m.kind}`], title: m ? m.message : undefined }, String(i + 1)));
    });
    fill(this.gutter, nums);
    // Overlay: the text, transparent, with marked ranges wrapped.
    const cuts = new Set([0, text.length]);
    for (const m of marks) {
      cuts.add(Math.max(0, Math.min(text.length, m.start)));
      cuts.add(Math.max(0, Math.min(text.length, Math.max(m.end, m.start + 1))));
    }
    const points = [...cuts].sort((a, b) => a - b);
    const frag = [];
    for (let k = 0; k + 1 < points.length; k++) {
      const [a, b] = [points[k], points[k + 1]];
      const piece = text.slice(a, b);
      const covering = marks.filter((m) => m.start <= a && Math.max(m.end, m.start + 1) >= b);
      if (!covering.length) frag.push(piece);
      else frag.push(h('span', { class: covering.map((m) => `mk mk-${m.kind}`).join(' ') }, piece));
    }
    // A mark at the very end (an unclosed brace) gets a visible caret-sized box.
    const atEnd = marks.filter((m) => m.start >= text.length);
    if (atEnd.length) frag.push(h('span', { class: atEnd.map((m) => `mk mk-${m.kind}`).join(' ') }, ' '));
    frag.push('\n ');
    fill(this.overlay, frag);
    this.renderMessages(text, marks);
    this.syncScroll();
    if (document.activeElement === this.textarea) this.showCaret();
  }

  renderMessages(text, marks) {
    const listed = marks
      .filter((m) => m.message)
      .sort((a, b) => a.start - b.start || SEVERITY_ORDER[a.kind] - SEVERITY_ORDER[b.kind]);
    fill(
      this.messages,
      listed.map((m) => {
        const { line, column } = positionOf(text, m.start);
        return h(
          'li',
          { class: `msg msg-${m.kind}` },
          h(
            'button',
            {
              type: 'button',
              class: 'linkish',
              onclick: () => this.focusAt(m.start),
              'aria-label': `${m.kind} at line ${line}, column ${column}: ${m.message}. Go there`,
            },
            h('span', { class: `sev sev-${m.kind}` }, m.kind),
            ` line ${line}, column ${column}: `,
          ),
          h('span', { class: 'msg-text' }, m.message),
        );
      }),
    );
  }

  showCaret() {
    const off = this.textarea.selectionStart;
    this.renderStatus(off);
  }

  renderStatus(off) {
    if (off === null) {
      fill(this.status);
      return;
    }
    const text = this.textarea.value;
    const { line, column } = positionOf(text, off);
    const here = this.allMarks().filter((m) => m.message && m.start <= off && Math.max(m.end, m.start + 1) >= off);
    fill(
      this.status,
      h('span', { class: 'ed-pos' }, `Ln ${line}, Col ${column}`),
      here.map((m) => h('span', { class: `ed-here msg-${m.kind}` }, ` · ${m.message}`)),
    );
  }

  focusAt(offset) {
    this.textarea.focus();
    this.textarea.setSelectionRange(offset, offset);
    // Bring the line into view.
    const line = positionOf(this.textarea.value, offset).line;
    const lh = parseFloat(getComputedStyle(this.textarea).lineHeight) || 18;
    const top = (line - 1) * lh;
    if (top < this.textarea.scrollTop || top > this.textarea.scrollTop + this.textarea.clientHeight - lh) {
      this.textarea.scrollTop = Math.max(0, top - lh * 2);
    }
    this.showCaret();
  }
}

/** A read-only view of a policy's text with marks, for the flow's details. */
export function codeView(text, marks, label) {
  const ed = new Editor({ label, value: text, readOnly: true, maxRows: 40 });
  ed.setMarks('view', marks);
  ed.el.classList.add('editor-readonly');
  return ed;
}
