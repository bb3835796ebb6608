// The Interventions editor's state (renderer/panels/interventions/editor.ts): layer lists typed as
// "0-3, 5", rows → Interventions, the engine's validation messages per row (inline, before a re-run),
// kinds a model cannot take, defaults, list edits (add / update / move / remove), and round trips of a
// run's list back into rows.
import { describe, expect, it } from 'vitest';
import { describeIntervention, parseConfig, validateInterventions, type Intervention } from '../../shaders/index.js';
import { addRow, checkRows, kindUnavailable, moveRow, newRow, nextRowId, otherMap, parseLayerList, removeRow, rowToIntervention, rowsFromInterventions, updateRow } from '../../renderer/panels/interventions/editor.js';
import type { InterventionRow } from '../../renderer/state/store.js';
import { VARIANTS } from '../gpu/variants.js';

const regla = parseConfig({ ...VARIANTS['regla'], num_hidden_layers: 4 });
const gla = parseConfig(VARIANTS['gla']);
const laRelu = parseConfig(VARIANTS['la_relu']);
const hedgehog = parseConfig(VARIANTS['hedgehog']);
const hybrid = parseConfig(VARIANTS['hybrid_regla']);

describe('parseLayerList', () => {
  it('reads indices and ranges, sorted and unique', () => {
    expect(parseLayerList('0-3, 5')).toEqual({ layers: [0, 1, 2, 3, 5] });
    expect(parseLayerList('2 0–1 1')).toEqual({ layers: [0, 1, 2] });
    expect(parseLayerList('4..6')).toEqual({ layers: [4, 5, 6] });
    expect(parseLayerList('7')).toEqual({ layers: [7] });
  });
  it('names what it cannot read', () => {
    expect(parseLayerList('')).toEqual({ error: 'type layer indices, e.g. 0-3, 5' });
    expect(parseLayerList(' , ')).toEqual({ error: 'type layer indices, e.g. 0-3, 5' });
    expect(parseLayerList('0-')).toEqual({ error: "'0-' is not a layer index or a range like 0-3" });
    expect(parseLayerList('a')).toEqual({ error: "'a' is not a layer index or a range like 0-3" });
    expect(parseLayerList('-1')).toEqual({ error: "'-1' is not a layer index or a range like 0-3" });
    expect(parseLayerList('3-1')).toEqual({ error: 'range 3-1 runs backwards' });
    expect(parseLayerList('1.5')).toEqual({ error: "'1.5' is not a layer index or a range like 0-3" });
  });
});

describe('rows → interventions', () => {
  const row = (over: Partial<InterventionRow>): InterventionRow => ({ ...newRow(1, 'clamp_g', regla), ...over });

  it('each kind becomes its Intervention (scope all or the typed list)', () => {
    expect(rowToIntervention(row({ kind: 'clamp_g', min: 0.1, max: 0.5 }))).toEqual({ intervention: { kind: 'clamp_g', layers: 'all', min: 0.1, max: 0.5 } });
    expect(rowToIntervention(row({ kind: 'force_r', scope: 'list', layers: '1-2', value: 1 }))).toEqual({ intervention: { kind: 'force_r', layers: [1, 2], value: 1 } });
    expect(rowToIntervention(row({ kind: 'scale_head', layer: 3, head: 1, scale: 0, scope: 'list', layers: 'junk' }))).toEqual({ intervention: { kind: 'scale_head', layer: 3, head: 1, scale: 0 } });
    expect(rowToIntervention(row({ kind: 'feature_map', map: 'elu1' }))).toEqual({ intervention: { kind: 'feature_map', layers: 'all', map: 'elu1' } });
    expect(rowToIntervention(row({ kind: 'no_output_norm', scope: 'list', layers: '0' }))).toEqual({ intervention: { kind: 'no_output_norm', layers: [0] } });
    expect(rowToIntervention(row({ scope: 'list', layers: 'x' }))).toEqual({ error: "'x' is not a layer index or a range like 0-3" });
  });

  it('checkRows gives each row the engine’s message and a list only when all rows are valid', () => {
    const rows = [
      row({ id: 1, kind: 'clamp_g', min: 0.6, max: 0.2 }),
      row({ id: 2, kind: 'force_r', scope: 'list', layers: '0, 9' }),
      row({ id: 3, kind: 'scale_head', layer: 0, head: 2 }),
      row({ id: 4, kind: 'no_output_norm', scope: 'list', layers: '0-' }),
      row({ id: 5, kind: 'clamp_g', min: NaN, max: 0.5 }),
      row({ id: 6, kind: 'force_r', value: 1 }),
    ];
    const c = checkRows(regla, rows);
    expect(c.list).toBeNull();
    expect(c.rows.map((r) => r.error)).toEqual([
      '[0.6, 0.2] must satisfy 0 ≤ min ≤ max ≤ 1',
      'layer 9 is out of range 0..3',
      'head 2 is out of range 0..1 (layer 0 has 2 heads)',
      "'0-' is not a layer index or a range like 0-3",
      'min and max must be finite numbers',
      null,
    ]);
    // The same message the engine throws for that intervention, less its "interventions[i] (kind): " prefix.
    expect(() => validateInterventions(regla, [c.rows[1]?.intervention as Intervention])).toThrow('interventions[0] (force_r): layer 9 is out of range 0..3');

    const good = checkRows(regla, [row({ id: 1, min: 0, max: 0.5 }), row({ id: 2, kind: 'force_r', value: 0 }), row({ id: 3, kind: 'scale_head', layer: 1, head: 0, scale: 0 })]);
    expect(good.rows.every((r) => r.error === null)).toBe(true);
    expect(good.list).toEqual([
      { kind: 'clamp_g', layers: 'all', min: 0, max: 0.5 },
      { kind: 'force_r', layers: 'all', value: 0 },
      { kind: 'scale_head', layer: 1, head: 0, scale: 0 },
    ]);
    expect(checkRows(regla, []).list).toEqual([]);
  });

  it('kinds a model does not have are refused, with the reason', () => {
    expect(checkRows(gla, [row({ kind: 'force_r' })]).rows[0]?.error).toBe("needs gate 'refined' (the model's gate is 'gla')");
    expect(checkRows(laRelu, [row({ kind: 'clamp_g' })]).rows[0]?.error).toBe("the model has no gate (gate 'none')");
    expect(checkRows(hybrid, [row({ kind: 'force_r', scope: 'list', layers: '1' })]).rows[0]?.error).toMatch(/every selected layer is a softmax layer \(1\)/);
    expect(kindUnavailable(regla, 'force_r')).toBeNull();
    expect(kindUnavailable(gla, 'force_r')).toMatch(/refined gate/);
    expect(kindUnavailable(laRelu, 'clamp_g')).toMatch(/no gate/);
    expect(kindUnavailable(hedgehog, 'no_output_norm')).toMatch(/no output norm/);
    expect(kindUnavailable(hedgehog, 'feature_map')).toMatch(/hedgehog/);
    expect(kindUnavailable(regla, 'scale_head')).toBeNull();
  });

  it('without a model rows are parsed but nothing can run', () => {
    const c = checkRows(undefined, [row({ kind: 'force_r' })]);
    expect(c.rows[0]).toEqual({ intervention: { kind: 'force_r', layers: 'all', value: 0 }, error: null });
    expect(c.list).toBeNull();
  });
});

describe('list editing', () => {
  it('new rows take the selection and a map other than the model’s', () => {
    const r = newRow(7, 'scale_head', regla, { layer: 2, head: 1 });
    expect(r).toMatchObject({ id: 7, kind: 'scale_head', layer: 2, head: 1, scale: 0, scope: 'all', layers: '2', min: 0, max: 0.9, value: 0 });
    expect(otherMap(regla)).not.toBe(regla.featureMap);
    expect(otherMap(regla)).not.toBe('hedgehog');
    expect(otherMap(hedgehog)).toBe('hedgehog');
    expect(rowToIntervention(newRow(1, 'feature_map', regla))).toEqual({ intervention: { kind: 'feature_map', layers: 'all', map: otherMap(regla) } });
    expect(checkRows(regla, [newRow(1, 'feature_map', regla)]).list).not.toBeNull();
  });

  it('add, update, move and remove keep the other rows and the ids', () => {
    let rows: InterventionRow[] = [];
    rows = addRow(rows, newRow(nextRowId(rows), 'clamp_g', regla));
    rows = addRow(rows, newRow(nextRowId(rows), 'force_r', regla));
    rows = addRow(rows, newRow(nextRowId(rows), 'no_output_norm', regla));
    expect(rows.map((r) => [r.id, r.kind])).toEqual([
      [1, 'clamp_g'],
      [2, 'force_r'],
      [3, 'no_output_norm'],
    ]);
    rows = updateRow(rows, 2, { value: 1, scope: 'list', layers: '0-1' });
    expect(rows[1]).toMatchObject({ id: 2, value: 1, scope: 'list', layers: '0-1' });
    expect(rows[0]).toEqual(newRow(1, 'clamp_g', regla));
    rows = moveRow(rows, 3, -1);
    expect(rows.map((r) => r.id)).toEqual([1, 3, 2]);
    expect(moveRow(rows, 1, -1).map((r) => r.id)).toEqual([1, 3, 2]);
    expect(moveRow(rows, 2, 1).map((r) => r.id)).toEqual([1, 3, 2]);
    rows = removeRow(rows, 3);
    expect(rows.map((r) => r.id)).toEqual([1, 2]);
    expect(nextRowId(rows)).toBe(3);
    // Order is kept in the list the engine gets (clamps compose in list order).
    expect(checkRows(regla, rows).list?.map((i) => i.kind)).toEqual(['clamp_g', 'force_r']);
  });

  it('a run’s list round-trips through rows', () => {
    const list: Intervention[] = [
      { kind: 'clamp_g', layers: [0, 1, 3], min: 0.05, max: 0.9 },
      { kind: 'force_r', layers: 'all', value: 1 },
      { kind: 'scale_head', layer: 2, head: 1, scale: 0.5 },
      { kind: 'feature_map', layers: [2], map: 'relu' },
      { kind: 'no_output_norm', layers: 'all' },
    ];
    const rows = rowsFromInterventions(list, regla);
    expect(rows.map((r) => r.id)).toEqual([1, 2, 3, 4, 5]);
    const back = checkRows(regla, rows);
    expect(back.list).toEqual(list);
    expect(back.list?.map(describeIntervention)).toEqual(list.map(describeIntervention));
  });
});
