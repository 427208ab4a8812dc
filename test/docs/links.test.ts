/**
 * The docs stay owned and their citations stay true:
 *
 * - every relative Markdown link (`[text](path)`, `[text](path#anchor)`) in
 *   a Markdown file of the repo points at a file that exists, and an anchor
 *   into a Markdown file names one of its headings (GitHub's slugs);
 * - every `X.md` citation (`docs/vcz-format.md`, `bench/notes.md`, a bare
 *   `notes.md` next to the citing file) in README.md, docs/, src/, test/,
 *   scripts/ and bench/ names a file that exists (from the repo root, the
 *   citing file's folder or docs/), and a section cited by name right after
 *   it (`docs/X.md`, "Section") is a heading of that file (the heading may
 *   add a parenthetical: "Import memory bound" cites "Import memory bound
 *   (streaming)");
 * - sections of our docs are cited by name, never by number: a `§3` not
 *   after a specification's name (VCF 4.3 §1.6, BCF, "spec") fails, as it
 *   breaks silently when a doc is reordered;
 * - nothing cites the team's shared folder outside the repo: a fresh clone
 *   must build, test and read its docs on its own.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Folders that are installed, generated or not part of the sources. */
const SKIP_DIRS = new Set(['node_modules', '.venv', '.venv-bench', '.git', 'dist', 'tmp', 'demo-out', 'cache', 'profiles', '.build']);
const TEXT_EXT = /\.(md|ts|mts|cts|js|mjs|cjs|py|sh|json|fbs|txt|toml|ya?ml)$|^\.npmrc$|^\.gitignore$|^run$/;

/** Text files of the repo (relative paths, `/`-separated), skipping binaries and files over 2 MB. */
function repoTextFiles(): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const full = join(dir, e.name);
      if (e.isDirectory()) {
        if (!SKIP_DIRS.has(e.name) && !e.name.startsWith('.staging')) walk(full);
      } else if (e.isFile() && TEXT_EXT.test(e.name) && statSync(full).size <= 2 * 1024 * 1024) {
        out.push(relative(root, full).split('\\').join('/'));
      }
    }
  };
  walk(root);
  return out.sort();
}

const self = relative(root, fileURLToPath(import.meta.url)).split('\\').join('/');
const files = repoTextFiles().filter((f) => f !== self);
const text = new Map(files.map((f) => [f, readFileSync(join(root, f), 'utf8')]));
const markdown = files.filter((f) => f.endsWith('.md'));
/** Files whose `X.md` and `§` citations are checked. */
const citing = files.filter((f) => /^(README\.md|docs\/[^/]+\.md|(src|test|scripts|bench)\/.+\.(ts|mts|mjs|cjs|js|py|sh|md))$/.test(f));

/** The text with line breaks and the comment/quote markers that start continuation lines folded into single spaces. */
function unwrap(s: string): string {
  return s.replace(/[ \t]*\r?\n[ \t]*(?:(?:\*|\/\/|#(?!#)|>)[ \t]?)?/g, ' ');
}

/** GitHub's anchor slug of a heading. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/** Headings (text, without `#` and backticks) of a Markdown file, outside fenced code. */
function headings(file: string): string[] {
  const out: string[] = [];
  let fenced = false;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (/^\s*```/.test(line)) fenced = !fenced;
    const m = !fenced && /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (m) out.push(m[1]!.replace(/`/g, ''));
  }
  return out;
}

/** Text outside fenced code blocks and inline code spans (links there are examples). */
function prose(md: string): string {
  return md.replace(/^\s*```[\s\S]*?^\s*```/gm, '').replace(/`[^`\n]*`/g, '');
}

describe('docs links and citations', () => {
  it('finds the files it checks', () => {
    expect(markdown).toContain('README.md');
    expect(markdown).toContain('docs/README.md');
    expect(citing.some((f) => f.startsWith('src/'))).toBe(true);
  });

  it('every relative Markdown link points at a file (and heading) that exists', () => {
    const broken: string[] = [];
    for (const f of markdown) {
      for (const m of prose(text.get(f)!).matchAll(/\[[^\]\n]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
        const target = m[1]!;
        if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('//')) continue; // http:, mailto:, ...
        const [path, anchor] = target.split('#', 2) as [string, string | undefined];
        const abs = path === '' ? join(root, f) : resolve(root, dirname(f), decodeURI(path));
        if (relative(root, abs).startsWith('..')) {
          broken.push(`${f}: link to ${target}: outside the repo`);
          continue;
        }
        if (!existsSync(abs)) {
          broken.push(`${f}: link to ${target}: no such file`);
          continue;
        }
        if (anchor && abs.endsWith('.md') && !headings(abs).some((h) => slug(h) === anchor.toLowerCase())) {
          broken.push(`${f}: link to ${target}: no heading with that anchor in ${relative(root, abs)}`);
        }
      }
    }
    expect(broken).toEqual([]);
  });

  it('every X.md citation names a file that exists, and a cited section is one of its headings', () => {
    const broken: string[] = [];
    for (const f of citing) {
      const s = unwrap(text.get(f)!);
      // `docs/X.md`, "Section"  |  docs/X.md "Section"  |  docs/X.md §3  |  bench/notes.md  |  notes.md
      for (const m of s.matchAll(/(?<![\w./${}-])((?:\.\.\/)*(?:[\w.-]+\/)*[\w.-]+\.md)\b`?(?:,?[ \t]*(?:"([^"]+)"|(§[ \t]*\d[\d.]*)))?/g)) {
        const cited = m[1]!;
        const inRepo = (p: string): boolean => !relative(root, p).startsWith('..');
        const doc = [resolve(root, cited), resolve(root, dirname(f), cited), resolve(root, 'docs', cited)].find((p) => inRepo(p) && existsSync(p));
        if (!doc) {
          broken.push(`${f}: ${cited}: no such file`);
          continue;
        }
        if (m[3]) broken.push(`${f}: ${cited} ${m[3]}: cite the section by its name, not its number`);
        const section = m[2]?.trim().toLowerCase();
        if (section && !headings(doc).some((h) => h.toLowerCase() === section || h.toLowerCase().startsWith(section + ' ('))) {
          broken.push(`${f}: ${cited}, "${m[2]}": no such heading in ${relative(root, doc)}`);
        }
      }
    }
    expect(broken).toEqual([]);
  });

  it('a numbered section (§N) is only cited after a specification name', () => {
    const bad: string[] = [];
    for (const f of citing) {
      const s = unwrap(text.get(f)!);
      for (const m of s.matchAll(/§[ \t]*\d/g)) {
        const before = s.slice(Math.max(0, m.index! - 40), m.index!);
        // "VCF 4.3 §1.6", "BCF §6.3", "vcf-zarr-spec 0.4 §…", "specification 0.4 §…"
        if (!/(?:\b(?:VCF|BCF)v?\s*[\d.]*|spec(?:ification)?(?:\s+v?[\d.]+)?)\s*$/i.test(before)) bad.push(`${f}: …${before}${s.slice(m.index!, m.index! + 12)}…`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('nothing cites the shared folder outside the repo', () => {
    // Built from parts so that this file does not match itself.
    const patterns = [new RegExp('\\.\\./' + 'shared/'), new RegExp('/work/' + 'shared\\b'), new RegExp('(?<![\\w-])' + 'shared/docs/')];
    const hits: string[] = [];
    for (const [f, s] of text) {
      s.split('\n').forEach((line, i) => {
        if (patterns.some((p) => p.test(line))) hits.push(`${f}:${i + 1}: ${line.trim()}`);
      });
    }
    expect(hits).toEqual([]);
  });
});
