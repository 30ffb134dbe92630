// Builds data/debian-packages.jsonl.gz, the tour's offline corpus: English descriptions of
// Debian packages (bookworm main), deduplicated, ~20k of them. Source: Debian's Translation-en
// list, which `apt-get -o Acquire::Languages=en update` fetches into /var/lib/apt/lists.
// Run: node scripts/make-corpus.mjs [path to Translation-en or its .lz4]
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync, readdirSync } from "node:fs";
import { gzipSync } from "node:zlib";

const TARGET = 20_000;
const lists = "/var/lib/apt/lists";
const source = process.argv[2] ?? `${lists}/${readdirSync(lists).find((f) => /_debian_dists_[a-z]+_main_i18n_Translation-en/.test(f))}`;
const text = source.endsWith(".lz4") ? execFileSync("lz4cat", [source], { maxBuffer: 1 << 30 }).toString("utf8") : readFileSync(source, "utf8");

const docs = [];
for (const stanza of text.split(/\n\n+/)) {
  const name = /^Package: (.+)$/m.exec(stanza)?.[1];
  const desc = /^Description-en: (.*)\n?((?: .*\n?)*)/m.exec(stanza);
  if (!name || !desc) continue;
  const title = desc[1].trim();
  const body = desc[2].split("\n").map((l) => l.slice(1)).map((l) => (l === "." ? "\n" : l)).join(" ")
    .replace(/ *\n */g, "\n").replace(/[ \t]+/g, " ").trim();
  docs.push({ id: name, title, text: body });
}

// Drop what adds nothing to search: debug symbols, transitional dummies, the documentation,
// example, data, translation and common-files siblings of a program (they repeat its text and
// drown it in results), and packages whose text repeats another's (keep the first by name).
const boring = (d) => /-(dbg|dbgsym|doc|docs|examples?|data|common|l10n|i18n|locales?|lang-.*)$|-(l10n|i18n|help|lang|locale)-/.test(d.id) ||
  /transitional|dummy package|language (package|pack)\b|translations? for/i.test(d.title) || d.text.length < 80;
const seen = new Set();
const unique = docs.filter((d) => {
  const key = d.text.slice(0, 200);
  if (boring(d) || seen.has(key)) return false;
  seen.add(key);
  return true;
});
// An even spread over the alphabet, the same every run.
const step = unique.length / TARGET;
const chosen = unique.length <= TARGET ? unique : Array.from({ length: TARGET }, (_, i) => unique[Math.floor(i * step)]);
const jsonl = chosen.map((d) => JSON.stringify(d)).join("\n") + "\n";
writeFileSync("data/debian-packages.jsonl.gz", gzipSync(jsonl, { level: 9 }));
console.log(`${docs.length} descriptions, ${unique.length} distinct, ${chosen.length} written (${(jsonl.length / 1e6).toFixed(1)} MB, gzip ${(gzipSync(jsonl, { level: 9 }).length / 1e6).toFixed(1)} MB)`);
