// How a run's interventions read outside the Interventions panel: the run's label wherever runs are
// listed ("regla · clamp g to [0, 0.9] · all layers") and the plain records exports carry (kind,
// parameters and describeIntervention's text). Pure; no store, no DOM.

import { describeIntervention, type Intervention } from '../../shaders/index.js';
import type { Run } from '../state/types.js';

/** The interventions as one line ("clamp g to [0, 0.9] · all layers + zero head 0 · layer 1"); '' for none. */
export function interventionsText(list: readonly Intervention[]): string {
  return list.map(describeIntervention).join(' + ');
}

/** The model's name, followed by the run's interventions when it has any. */
export function runLabel(run: Pick<Run, 'model' | 'interventions'>): string {
  const t = interventionsText(run.interventions);
  return t ? `${run.model.name} · ${t}` : run.model.name;
}

/** One intervention as exports record it: its fields (kind + parameters) and its text. */
export type InterventionRecord = Intervention & { text: string };

/** The records of a run's interventions, in application order (JSON-safe: layer lists copied). */
export function interventionRecords(list: readonly Intervention[]): InterventionRecord[] {
  return list.map((i) => ({ ...(JSON.parse(JSON.stringify(i)) as Intervention), text: describeIntervention(i) }));
}
