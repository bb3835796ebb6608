// Minimal reader for R lazy-load databases (Rdata.rdb + .rdx) as Debian's r-cran-* data packages
// ship them: R's XDR serialization (versions 2 and 3) decoded far enough for character vectors,
// lists and their attributes. Closures, environments beyond a stub, bytecode and ALTREP are refused.
import { gunzipSync, inflateSync } from 'node:zlib';

const NA_STRING = null;

/** Parses one serialized R object ("X\n" XDR format) into plain JS values. */
export function unserialize(buf) {
  let pos = 0;
  const int = () => {
    const v = buf.readInt32BE(pos);
    pos += 4;
    return v;
  };
  const refs = [];
  if (buf.toString('latin1', 0, 2) !== 'X\n') throw new Error('not an XDR R serialization');
  pos = 2;
  const version = int();
  int(); // writer's R version
  int(); // minimal reader version
  if (version === 3) {
    const n = int(); // native encoding name
    pos += n;
  }
  else if (version !== 2) throw new Error(`R serialization version ${version} not supported`);

  const length = () => {
    const n = int();
    if (n !== -1) return n;
    const hi = int();
    return hi * 2 ** 32 + (int() >>> 0);
  };

  function item() {
    const flags = int();
    const type = flags & 0xff;
    const hasAttr = (flags & (1 << 9)) !== 0;
    const hasTag = (flags & (1 << 10)) !== 0;
    switch (type) {
      case 254: // NILVALUE_SXP
      case 0:
        return null;
      case 242: // EMPTYENV
      case 241: // BASEENV
      case 253: // GLOBALENV
      case 250: // BASENAMESPACE
        return { env: type };
      case 255: {
        // REFSXP: index packed in the flags, or in the next int when it does not fit
        const index = flags >> 8 || int();
        return refs[index - 1];
      }
      case 1: {
        // SYMSXP
        const sym = { symbol: item() };
        refs.push(sym);
        return sym;
      }
      case 9: {
        // CHARSXP
        const n = int();
        if (n === -1) return NA_STRING;
        const s = buf.toString((flags >> 12) & 4 ? 'latin1' : 'utf8', pos, pos + n);
        pos += n;
        return s;
      }
      case 2: // LISTSXP (pairlist), LANGSXP, and attribute pairlists
      case 6: {
        const attr = hasAttr ? item() : null;
        const tag = hasTag ? item() : null;
        const value = item();
        const rest = item();
        const node = [{ tag: tag?.symbol ?? null, value }];
        return { pairlist: rest ? node.concat(rest.pairlist) : node, attr };
      }
      case 10: // LGLSXP
      case 13: {
        // INTSXP
        const n = length();
        const out = [];
        for (let i = 0; i < n; i++) out.push(int());
        return vector(out, hasAttr);
      }
      case 14: {
        // REALSXP
        const n = length();
        const out = [];
        for (let i = 0; i < n; i++, pos += 8) out.push(buf.readDoubleBE(pos));
        return vector(out, hasAttr);
      }
      case 16: // STRSXP
      case 19: // VECSXP
      case 20: {
        // EXPRSXP
        const n = length();
        const out = [];
        for (let i = 0; i < n; i++) out.push(item());
        return vector(out, hasAttr);
      }
      default:
        throw new Error(`R object type ${type} (flags 0x${flags.toString(16)}, at byte ${pos - 4}) not supported by this reader`);
    }
  }

  function vector(values, hasAttr) {
    if (!hasAttr) return values;
    const attrs = item();
    const names = attrs.pairlist.find((a) => a.tag === 'names');
    if (!names) return values;
    return Object.fromEntries(values.map((v, i) => [names.value[i], v]));
  }

  return item();
}

/** Reads every variable of an R lazy-load database; `base` is the path without .rdb/.rdx. */
export function readLazyLoadDb(rdx, rdb) {
  const index = unserialize(gunzipSync(rdx));
  const compressed = index.compressed?.[0] ?? 1;
  const out = {};
  for (const [name, [offset, size]] of Object.entries(index.variables)) {
    const blob = rdb.subarray(offset, offset + size);
    let body;
    if (compressed === 1 || compressed === true) body = inflateSync(blob.subarray(4));
    else if (compressed === 0) body = blob;
    else if (String.fromCharCode(blob[4]) === 'Z') body = inflateSync(blob.subarray(5));
    else throw new Error(`lazy-load compression type ${compressed} (${String.fromCharCode(blob[4])}) not supported`);
    out[name] = unserialize(body);
  }
  return out;
}
