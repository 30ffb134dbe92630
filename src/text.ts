// Text to terms for latent semantic analysis: lower-case word tokens, common English stop words
// dropped, and a light suffix-stripping stemmer so that "computers"/"computer" and
// "learning"/"learns"/"learn" meet on one term. Deliberately small: enough for search over short
// descriptions, predictable, and the same in Node and in the browser.

const STOP_WORDS = new Set(`a about above after again against all also am an and any are as at be because been before
being below between both but by can could did do does doing down during each few for from further had has have having
he her here hers herself him himself his how i if in into is it its itself just let like may me might more most must my
myself no nor not now of off on once only or other our ours ourselves out over own same shall she should so some such
than that the their theirs them themselves then there these they this those through to too under until up upon us very
via was we were what when where which while who whom why will with within without would you your yours yourself
yourselves etc e g eg ie i.e use used using uses provides provide provided includes include including contains
package packages`.split(/\s+/));

/** The stem of a lower-case word: plural, -ing, -ed, -ly and a few derivational endings stripped. */
export function stem(word: string): string {
  let w = word;
  if (w.length <= 3) return w;
  if (w.endsWith("sses")) w = w.slice(0, -2);
  else if (w.endsWith("ies") && w.length > 4) w = w.slice(0, -3) + "y";
  else if (w.endsWith("s") && !/(ss|us|is|ys)$/.test(w)) w = w.slice(0, -1);
  for (const [suffix, repl] of [["ational", "ate"], ["ization", "ize"], ["ations", "ate"], ["ation", "ate"], ["ness", ""], ["ments", ""], ["ment", ""]] as const) {
    if (w.endsWith(suffix) && w.length - suffix.length >= 4) return w.slice(0, -suffix.length) + repl;
  }
  for (const suffix of ["ing", "ed", "ly"]) {
    const base = w.slice(0, -suffix.length);
    if (w.endsWith(suffix) && base.length >= 3 && /[aeiouy]/.test(base)) {
      // runn → run, but keep ll/ss/zz (install → install)
      return /([^aeiouylsz])\1$/.test(base) ? base.slice(0, -1) : base;
    }
  }
  return w;
}

// word → its term ("" for a dropped word): a corpus repeats its words, so most are looked up
// once and then found here. Cleared when it grows past a bound, so memory stays flat.
const TERMS = new Map<string, string>();
const TERMS_MAX = 200_000;

function termOf(word: string): string {
  let term = TERMS.get(word);
  if (term === undefined) {
    const w = word.endsWith("'s") ? word.slice(0, -2) : word;
    term = w.length < 2 || /^[\d.]+$/.test(w) || STOP_WORDS.has(w) ? "" : stem(w);
    if (TERMS.size >= TERMS_MAX) TERMS.clear();
    TERMS.set(word, term);
  }
  return term;
}

// Words are found by a scanner over character codes rather than a regular expression, so that
// numbering a corpus's terms (TermIds) makes no string for a word it has seen before. A word is
// /[\p{L}\p{N}]+(?:[+#]+|(?:[.'][\p{L}\p{N}]+)*)/u: a run of letters and digits, then either a
// c++-style tail of + and #, or dotted/apostrophe tails (node.js, python's). The tests hold the
// scanner to that expression.
const LETTER_OR_DIGIT = /^[\p{L}\p{N}]$/u;
const bmpClass = new Uint8Array(65536); // 0: not yet known, 1: letter or digit, 2: neither
const astralClass = new Map<number, boolean>();

/** Code units of the letter or digit at text[i] (2 for one outside the BMP), 0 if it is neither. */
function letterOrDigitWidth(text: string, i: number): number {
  const c = text.charCodeAt(i);
  if (c < 128) return (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || (c >= 65 && c <= 90) ? 1 : 0;
  if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
    const d = text.charCodeAt(i + 1);
    if (d >= 0xdc00 && d <= 0xdfff) {
      const cp = ((c - 0xd800) << 10) + (d - 0xdc00) + 0x10000;
      let yes = astralClass.get(cp);
      if (yes === undefined) astralClass.set(cp, (yes = LETTER_OR_DIGIT.test(String.fromCodePoint(cp))));
      return yes ? 2 : 0;
    }
  }
  let k = bmpClass[c];
  if (k === 0) bmpClass[c] = k = LETTER_OR_DIGIT.test(String.fromCharCode(c)) ? 1 : 2;
  return k === 1 ? 1 : 0;
}

const FNV_OFFSET = 0x811c9dc5 | 0, FNV_PRIME = 16777619;

/** The words of a (lower-case) text one at a time: text.slice(start, end), with an FNV-1a hash of its code units. */
class Words {
  start = 0;
  end = 0;
  hash = 0;
  constructor(readonly text: string) {}

  /** Moves to the next word; false when there is none. */
  next(): boolean {
    const text = this.text, n = text.length;
    let i = this.end, w = 0;
    while (i < n && (w = letterOrDigitWidth(text, i)) === 0) i++;
    if (i >= n) return false;
    this.start = i;
    // the letters and digits, then a + / # tail or any number of . / ' tails (each before a run)
    let h = FNV_OFFSET, c = 0, runs = 0;
    for (;; runs++) {
      do {
        h = Math.imul(h ^ text.charCodeAt(i), FNV_PRIME);
        if (w === 2) h = Math.imul(h ^ text.charCodeAt(i + 1), FNV_PRIME);
        i += w;
      } while (i < n && (w = letterOrDigitWidth(text, i)) > 0);
      c = i < n ? text.charCodeAt(i) : 0;
      if (!((c === 46 || c === 39) && i + 1 < n && (w = letterOrDigitWidth(text, i + 1)) > 0)) break;
      h = Math.imul(h ^ c, FNV_PRIME);
      i++;
    }
    if (runs === 0) { // a + / # tail, only right after the first run
      while (c === 43 || c === 35) {
        h = Math.imul(h ^ c, FNV_PRIME);
        c = ++i < n ? text.charCodeAt(i) : 0;
      }
    }
    this.end = i;
    this.hash = h;
    return true;
  }
}

/** The words of a text, lower-cased, before stop words are dropped and stems taken (what the tests hold to the expression above). */
export function words(text: string): string[] {
  const out: string[] = [];
  for (const w = new Words(text.toLowerCase()); w.next();) out.push(w.text.slice(w.start, w.end));
  return out;
}

/** The terms of a text: lower-case letter/digit runs of 2+ characters (with c++-style and dotted tails), not numbers, not stop words, stemmed. */
export function tokenize(text: string): string[] {
  const out: string[] = [];
  for (const words = new Words(text.toLowerCase()); words.next();) {
    const term = termOf(words.text.slice(words.start, words.end));
    if (term) out.push(term);
  }
  return out;
}

/**
 * tokenize's terms as integer ids, numbered as they are first seen, for fitting a model to a
 * corpus. A word seen before is found by its hash in an open-addressing table whose keys are
 * compared in place, so a corpus's million words cost no strings and one table probe each.
 */
export class TermIds {
  /** term → id (first seen first) */
  readonly ids = new Map<string, number>();
  // four ints a slot: the word's hash, its id + 2 (0: an empty slot; id −1: a dropped word), and
  // where its code units are in `chars` (offset, length)
  private slots = new Int32Array(4 << 12);
  private used = 0;
  private chars = new Uint16Array(1 << 15);
  private charsUsed = 0;
  private out = new Int32Array(256);

  /** The term ids of a text, in order (dropped words leave no id). */
  of(text: string): Int32Array {
    let count = 0;
    for (const words = new Words(text.toLowerCase()); words.next();) {
      const id = this.idOf(words);
      if (id < 0) continue;
      if (count === this.out.length) this.out = grow(this.out, count * 2);
      this.out[count++] = id;
    }
    return this.out.slice(0, count);
  }

  private idOf({ text, start, end, hash }: Words): number {
    const { slots, chars } = this, mask = (slots.length >> 2) - 1, len = end - start;
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const at = slot << 2, tag = slots[at + 1];
      if (tag === 0) break;
      if (slots[at] === hash && slots[at + 3] === len) {
        const off = slots[at + 2];
        let k = 0;
        while (k < len && chars[off + k] === text.charCodeAt(start + k)) k++;
        if (k === len) return tag - 2;
      }
    }
    const word = text.slice(start, end), term = termOf(word);
    let id = term ? this.ids.get(term) : -1;
    if (id === undefined) this.ids.set(term, (id = this.ids.size));
    if (this.charsUsed + len > this.chars.length) this.chars = grow(this.chars, 2 * (this.charsUsed + len));
    for (let k = 0; k < len; k++) this.chars[this.charsUsed + k] = text.charCodeAt(start + k);
    this.insert(hash, id + 2, this.charsUsed, len);
    this.charsUsed += len;
    return id;
  }

  private insert(hash: number, tag: number, offset: number, len: number): void {
    if (2 * (this.used + 1) > this.slots.length >> 2) { // keep it at most half full: short probes
      const old = this.slots;
      this.slots = new Int32Array(old.length * 2);
      this.used = 0;
      for (let at = 0; at < old.length; at += 4) if (old[at + 1] !== 0) this.insert(old[at], old[at + 1], old[at + 2], old[at + 3]);
    }
    const slots = this.slots, mask = (slots.length >> 2) - 1;
    let slot = hash & mask;
    while (slots[(slot << 2) + 1] !== 0) slot = (slot + 1) & mask;
    slots.set([hash, tag, offset, len], slot << 2);
    this.used++;
  }
}

function grow<T extends Int32Array | Uint16Array>(a: T, length: number): T {
  const b = new (a.constructor as new (n: number) => T)(length);
  b.set(a);
  return b;
}
