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

/** Lower-case letter/digit runs, with c++-style and dotted tails. */
const WORD = /[\p{L}\p{N}]+(?:[+#]+|(?:[.'][\p{L}\p{N}]+)*)/gu;

/** The terms of a text: lower-case letter/digit runs of 2+ characters (with c++-style and dotted tails), not numbers, not stop words, stemmed. */
export function tokenize(text: string): string[] {
  const out: string[] = [];
  for (const word of text.toLowerCase().match(WORD) ?? []) {
    const term = termOf(word);
    if (term) out.push(term);
  }
  return out;
}

/**
 * tokenize's terms as integer ids, for fitting a model to a corpus: `ids` numbers the terms as
 * they are first seen; `words` remembers each word's id (-1: dropped), so that most words of a
 * corpus cost one lookup instead of a word → term and a term → id lookup.
 */
export function termIds(text: string, ids: Map<string, number>, words: Map<string, number>): Int32Array {
  const out: number[] = [];
  for (const word of text.toLowerCase().match(WORD) ?? []) {
    let id = words.get(word);
    if (id === undefined) {
      const term = termOf(word);
      id = term ? ids.get(term) : -1;
      if (id === undefined) ids.set(term, (id = ids.size));
      words.set(word, id);
    }
    if (id >= 0) out.push(id);
  }
  return Int32Array.from(out);
}
