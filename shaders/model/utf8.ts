// Strict UTF-8 decoding for the engine, whose lib is ES2022 only (no TextDecoder typings): the
// safetensors header and the model folder's JSON files (config.json, tokenizer.json, …).

/**
 * Decodes `b` as UTF-8. Invalid input (bad lead or continuation bytes, truncation, overlong forms,
 * surrogates, code points past U+10FFFF) calls `bad` with the offending byte's index.
 */
export function utf8Decode(b: Uint8Array, bad: (byte: number) => never): string {
  const units: number[] = [];
  let out = '';
  for (let i = 0; i < b.length; ) {
    const c = b[i]!;
    if (c < 0x80) {
      // ASCII fast path: most of a JSON file.
      units.push(c);
      i++;
    } else {
      let cp: number;
      let n: number;
      if (c >= 0xc2 && c < 0xe0) [cp, n] = [c & 0x1f, 1];
      else if (c >= 0xe0 && c < 0xf0) [cp, n] = [c & 0x0f, 2];
      else if (c >= 0xf0 && c < 0xf5) [cp, n] = [c & 0x07, 3];
      else return bad(i);
      if (i + n >= b.length) return bad(i);
      for (let k = 1; k <= n; k++) {
        const d = b[i + k]!;
        if ((d & 0xc0) !== 0x80) return bad(i + k);
        cp = (cp << 6) | (d & 0x3f);
      }
      // Overlong forms, surrogates and code points past U+10FFFF are invalid UTF-8.
      if ((n === 2 && cp < 0x800) || (n === 3 && cp < 0x10000) || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
        return bad(i);
      }
      if (cp >= 0x10000) units.push(0xd800 + ((cp - 0x10000) >> 10), 0xdc00 + ((cp - 0x10000) & 0x3ff));
      else units.push(cp);
      i += n + 1;
    }
    if (units.length >= 8192) {
      out += String.fromCharCode(...units);
      units.length = 0;
    }
  }
  return out + String.fromCharCode(...units);
}
