// The command palette (Ctrl/Cmd+Shift+P): every command by name, filtered as you type (all words
// must appear), arrows to move, Enter to run, Esc to close.

import { useEffect, useMemo, useRef, useState, type JSX } from 'react';

export interface Command {
  id: string;
  title: string;
  /** Shortcut shown beside it. */
  keys?: string;
  run: () => void;
}

export function matchCommands(commands: readonly Command[], query: string): Command[] {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  return commands.filter((c) => words.every((w) => c.title.toLowerCase().includes(w) || c.id.toLowerCase().includes(w)));
}

export function CommandPalette({ commands, onClose }: { commands: readonly Command[]; onClose: () => void }): JSX.Element {
  const [query, setQuery] = useState('');
  const [index, setIndex] = useState(0);
  const input = useRef<HTMLInputElement>(null);
  const shown = useMemo(() => matchCommands(commands, query), [commands, query]);
  useEffect(() => input.current?.focus(), []);
  // The highlighted row, clamped: the list can shrink under an index set by the pointer (Chromium
  // sends hover events when the list is laid out under a resting pointer), and Enter must still
  // run the row shown as highlighted.
  const active = Math.max(0, Math.min(index, shown.length - 1));
  const run = (c: Command | undefined): void => {
    if (!c) return;
    onClose();
    c.run();
  };
  return (
    <div className="overlay" onMouseDown={onClose} role="presentation">
      <div className="palette" role="dialog" aria-label="Command palette" onMouseDown={(e) => e.stopPropagation()}>
        <input
          ref={input}
          value={query}
          placeholder="Type a command…"
          data-testid="palette-input"
          onChange={(e) => {
            setQuery(e.target.value);
            setIndex(0);
          }}
          onKeyDown={(e) => {
            if (e.key === 'ArrowDown') {
              e.preventDefault();
              setIndex(Math.min(shown.length - 1, active + 1));
            } else if (e.key === 'ArrowUp') {
              e.preventDefault();
              setIndex(Math.max(0, active - 1));
            } else if (e.key === 'Enter') {
              run(shown[active]);
            } else if (e.key === 'Escape') {
              onClose();
            }
          }}
        />
        <ul>
          {shown.map((c, i) => (
            <li key={c.id} className={i === active ? 'active' : ''} onMouseMove={() => i !== active && setIndex(i)} onClick={() => run(c)}>
              <span>{c.title}</span>
              {c.keys ? <kbd>{c.keys}</kbd> : null}
            </li>
          ))}
          {shown.length === 0 ? <li className="empty">No command matches</li> : null}
        </ul>
      </div>
    </div>
  );
}

export function HelpSheet({ shortcuts, onClose }: { shortcuts: ReadonlyArray<readonly [string, string]>; onClose: () => void }): JSX.Element {
  return (
    <div className="overlay" onMouseDown={onClose} role="presentation">
      <div className="help" role="dialog" aria-label="Keyboard shortcuts" onMouseDown={(e) => e.stopPropagation()}>
        <h2>Keyboard shortcuts</h2>
        <table>
          <tbody>
            {shortcuts.map(([k, what]) => (
              <tr key={k}>
                <td>
                  <kbd>{k}</kbd>
                </td>
                <td>{what}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <p className="hint">Esc closes this sheet.</p>
      </div>
    </div>
  );
}
