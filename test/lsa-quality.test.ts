// LSA quality on the tour's corpus: for queries a person would type, is a package they would
// expect among the top 10? The labels were written by hand (and checked to be in the corpus).
import { describe, expect, it } from "vitest";
import { init } from "../dist/index.js";
import { corpusIndex, searchCorpus } from "../examples/corpus.mjs";

const LABELLED: [query: string, expected: string[]][] = [
  ["a web browser", ["firefox-esr", "epiphany-browser", "falkon", "konqueror", "lynx", "links2", "surf", "netsurf-gtk", "luakit"]],
  ["play chess against the computer", ["gnuchess", "stockfish", "sjeng", "sjaakii", "fairymax", "xboard", "eboard"]],
  ["encrypt my files", ["ccrypt", "cryfs", "cryptsetup", "aespipe", "steghide"]],
  ["music player", ["rhythmbox", "cmus", "moc", "ncmpcpp", "strawberry", "quodlibet", "lollypop", "elisa"]],
  ["edit raw photos from my camera", ["darktable", "rawtherapee", "digikam", "gthumb"]],
  ["version control system for source code", ["git", "mercurial", "darcs", "fossil", "cvs", "git-cola"]],
  ["terminal emulator", ["yakuake", "konsole", "tilix", "kitty", "alacritty", "rxvt-unicode", "sakura", "lxterminal", "cool-retro-term", "guake", "tilda"]],
  ["pdf viewer", ["evince", "okular", "zathura", "mupdf", "apvlv", "impressive"]],
  ["machine learning library", ["python3-sklearn", "libopencv-ml406", "python3-mdp", "libdmlc-dev", "r-cran-rcppml"]],
  ["spreadsheet", ["gnumeric", "libreoffice-calc", "sc"]],
  ["text editor for programmers", ["vim", "emacs", "kate", "geany", "joe", "jed", "ne", "zile", "vis"]],
  ["back up my files", ["borgbackup", "restic", "duplicity", "bacula", "rdiff-backup", "bup", "amanda-client", "burp", "luckybackup"]],
  ["image viewer", ["gthumb", "geeqie", "qimgv", "imv", "lximage-qt"]],
  ["email client", ["neomutt", "evolution", "claws-mail", "alpine", "geary", "balsa", "aerc"]],
  ["password manager", ["keepassxc", "pass", "keepass2", "kpcli", "password-gorilla", "secrets"]],
  ["compress files", ["zstd", "p7zip-full", "brotli", "pigz", "zip", "bzip2", "lzop", "xarchiver", "7zip"]],
  ["monitor network traffic", ["tcpdump", "nethogs", "iftop", "tshark", "bmon", "vnstat", "iptraf-ng", "softflowd", "nsntrace"]],
  ["3d modelling", ["blender", "openscad", "freecad", "solvespace", "sweethome3d", "prusa-slicer"]],
];

describe("LSA quality on the tour's corpus", () => {
  it("finds an expected package in the top 10 for most labelled queries", async () => {
    const corpus = await corpusIndex(await init());
    const present = new Set(corpus.docs.map((d) => d.id));
    let found = 0;
    const misses: string[] = [];
    for (const [query, expected] of LABELLED) {
      expect(expected.some((id) => present.has(id)), `labels of “${query}” are in the corpus`).toBe(true);
      const top = searchCorpus(corpus, query, 10).hits.map((h) => h.id);
      if (top.some((id) => expected.includes(id))) found++;
      else misses.push(`${query} → ${top.slice(0, 3).join(", ")}`);
    }
    console.log(`LSA quality: an expected package in the top 10 for ${found} of ${LABELLED.length} labelled queries` +
      (misses.length ? `; misses: ${misses.join("; ")}` : ""));
    expect(found / LABELLED.length).toBeGreaterThanOrEqual(0.6);
    corpus.index.dispose();
    corpus.model.dispose();
  }, 120_000);
});
