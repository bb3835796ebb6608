// What a panel is: an id, a title, a shortcut digit and a React component that reads the store
// itself. panels/registry.ts lists them; panels never import each other.

import type { JSX } from 'react';

export interface PanelDef {
  id: string;
  title: string;
  /** One line for the tab's tooltip and the command palette. */
  description: string;
  Component: () => JSX.Element;
}
