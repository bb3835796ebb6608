// Trains the sample models' byte-level BPE tokenizer on the corpus that samples/corpus/build.mjs
// writes, saves tokenizer.json (+ tokenizer_config.json), and reports its compression on the held-out split.
//   node scripts/build.mjs bundle samples/tokenizer/train.ts dist/samples/train-tokenizer.mjs
//   node dist/samples/train-tokenizer.mjs [--vocab 4096] [--corpus samples/corpus/out] [--out samples/tokenizer/tokenizer.json]
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { Tokenizer } from '@huggingface/tokenizers';
import { END_OF_TEXT, trainBpe } from './bpe.js';

const { values } = parseArgs({
  options: {
    vocab: { type: 'string', default: '4096' },
    corpus: { type: 'string', default: 'samples/corpus/out' },
    out: { type: 'string', default: 'samples/tokenizer/tokenizer.json' },
  },
});
const vocabSize = Number(values.vocab);
const train = readFileSync(`${values.corpus}/train.txt`, 'utf8');
const heldout = readFileSync(`${values.corpus}/heldout.txt`, 'utf8');

const t0 = performance.now();
const json = trainBpe(train.split(END_OF_TEXT), { vocabSize, specialTokens: [END_OF_TEXT] });
const seconds = (performance.now() - t0) / 1000;
const text = `${JSON.stringify(json)}\n`;
writeFileSync(values.out, text);
// Without this the runtime's default decode rewrites " ." to "." and decode(encode(x)) != x.
const config = { clean_up_tokenization_spaces: false, eos_token: END_OF_TEXT };
const configPath = join(dirname(values.out), 'tokenizer_config.json');
writeFileSync(configPath, `${JSON.stringify(config, null, 2)}\n`);

const tok = new Tokenizer(json, config);
const ids = tok.encode(heldout).ids;
const bytes = Buffer.byteLength(heldout);
if (tok.decode(ids) !== heldout) throw new Error('held-out text does not survive encode → decode');
const eot = json.added_tokens[0]?.id;
process.stdout.write(
  `trained ${vocabSize} ids (${json.model.merges.length} merges, ${END_OF_TEXT} = ${eot}) on ${Buffer.byteLength(train)} bytes in ${seconds.toFixed(1)} s\n` +
    `wrote ${values.out} (${Buffer.byteLength(text)} bytes) and ${configPath}\n` +
    `held-out: ${bytes} bytes → ${ids.length} tokens, ${(bytes / ids.length).toFixed(3)} bytes/token\n`,
);
