// Tokenizes the corpus splits with the bundled tokenizer into little-endian uint16 token streams,
// the input of samples/train/train.py (--dtype uint16). Documents are already joined with
// <|endoftext|> by build.mjs; the text is encoded in paragraphs so no single call is huge.
//   node samples/corpus/tokenize.mjs   → samples/corpus/out/{train,heldout}.bin
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Tokenizer } from '@huggingface/tokenizers';

const here = dirname(fileURLToPath(import.meta.url));
const tokDir = join(here, '..', 'tokenizer');
const tok = new Tokenizer(
  JSON.parse(readFileSync(join(tokDir, 'tokenizer.json'), 'utf8')),
  JSON.parse(readFileSync(join(tokDir, 'tokenizer_config.json'), 'utf8')),
);
for (const split of ['train', 'heldout']) {
  const text = readFileSync(join(here, 'out', `${split}.txt`), 'utf8');
  // Split after blank lines, keeping the separators, so the concatenation is the whole text.
  const parts = text.split(/(?<=\n\n)/);
  const ids = [];
  for (const p of parts) for (const id of tok.encode(p, { add_special_tokens: false }).ids) ids.push(id);
  const out = new Uint16Array(ids.length);
  ids.forEach((id, i) => {
    if (id > 0xffff) throw new Error(`token id ${id} does not fit uint16`);
    out[i] = id;
  });
  writeFileSync(join(here, 'out', `${split}.bin`), Buffer.from(out.buffer));
  console.log(`${split}: ${text.length} chars → ${ids.length} tokens (${(Buffer.byteLength(text) / ids.length).toFixed(3)} bytes/token)`);
}
