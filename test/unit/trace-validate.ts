// Shared checker for Chrome trace-event JSON written by shaders/profile/trace.ts (unit + CLI tests):
// required fields per phase type, non-negative durations, monotone timestamps per track, named
// processes/threads, and a lossless JSON round trip. Returns a list of problems (empty = valid).

const PH = new Set(['X', 'C', 'M', 'B', 'E', 'i', 'I']);

export function validateTrace(trace: unknown): string[] {
  const errors: string[] = [];
  if (typeof trace !== 'object' || trace === null) return ['trace is not an object'];
  const t = trace as Record<string, unknown>;
  if (!Array.isArray(t['traceEvents'])) return ['traceEvents is not an array'];
  if (t['displayTimeUnit'] !== 'ns' && t['displayTimeUnit'] !== 'ms') errors.push(`displayTimeUnit is ${String(t['displayTimeUnit'])}`);
  const other = t['otherData'];
  if (typeof other !== 'object' || other === null) errors.push('otherData missing');
  else for (const k of ['adapter', 'features', 'quantization', 'precision']) if (!(k in other)) errors.push(`otherData.${k} missing`);
  try {
    if (JSON.stringify(JSON.parse(JSON.stringify(trace))) !== JSON.stringify(trace)) errors.push('JSON round trip changed the trace');
  } catch (e) {
    errors.push(`not serializable: ${(e as Error).message}`);
  }

  const lastTs = new Map<string, number>();
  const namedProcesses = new Set<number>();
  const namedThreads = new Set<string>();
  const usedProcesses = new Set<number>();
  const usedThreads = new Set<string>();
  (t['traceEvents'] as unknown[]).forEach((raw, i) => {
    const where = `event ${i}`;
    if (typeof raw !== 'object' || raw === null) {
      errors.push(`${where}: not an object`);
      return;
    }
    const e = raw as Record<string, unknown>;
    const ph = e['ph'];
    if (typeof ph !== 'string' || !PH.has(ph)) {
      errors.push(`${where}: bad ph ${String(ph)}`);
      return;
    }
    if (typeof e['name'] !== 'string' || e['name'] === '') errors.push(`${where}: name missing`);
    for (const k of ['pid', 'tid', 'ts']) {
      if (typeof e[k] !== 'number' || !Number.isFinite(e[k])) errors.push(`${where} (${ph}): ${k} is not a finite number`);
    }
    const pid = e['pid'] as number;
    const track = `${pid}/${String(e['tid'])}`;
    const args = e['args'] as Record<string, unknown> | undefined;
    if (ph === 'M') {
      if (typeof args?.['name'] !== 'string') errors.push(`${where}: metadata without args.name`);
      if (e['name'] === 'process_name') namedProcesses.add(pid);
      if (e['name'] === 'thread_name') namedThreads.add(track);
      return;
    }
    usedProcesses.add(pid);
    if (ph === 'X') {
      usedThreads.add(track);
      const dur = e['dur'];
      if (typeof dur !== 'number' || !Number.isFinite(dur) || dur < 0) errors.push(`${where}: dur ${String(dur)} is not ≥ 0`);
    }
    if (ph === 'C') {
      if (typeof args !== 'object' || args === null || Object.keys(args).length === 0) errors.push(`${where}: counter without args`);
      else for (const [k, v] of Object.entries(args)) if (typeof v !== 'number' || !Number.isFinite(v)) errors.push(`${where}: counter ${k} is not a finite number`);
    }
    const key = `${ph === 'C' ? `C:${String(e['name'])}:` : ''}${track}`;
    const ts = e['ts'] as number;
    const prev = lastTs.get(key);
    if (prev !== undefined && ts < prev) errors.push(`${where}: ts ${ts} < ${prev} on track ${key}`);
    lastTs.set(key, ts);
  });
  for (const p of usedProcesses) if (!namedProcesses.has(p)) errors.push(`process ${p} has no process_name`);
  for (const th of usedThreads) if (!namedThreads.has(th)) errors.push(`thread ${th} has no thread_name`);
  return errors;
}

/** Splits CSV text (RFC 4180: quoted fields, doubled quotes, CRLF or LF) into rows of fields. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}
