/** ANSI colours, only for a terminal and never when NO_COLOR is set (https://no-color.org). */
export function useColour(stream: NodeJS.WriteStream = process.stdout): boolean {
  return stream.isTTY && (process.env.NO_COLOR ?? '') === '';
}

const CODES = { red: 31, green: 32, yellow: 33, blue: 34, grey: 90, bold: 1 } as const;
export type Colour = keyof typeof CODES;

export function paint(text: string, colour: Colour, enabled: boolean): string {
  return enabled ? `\u001b[${CODES[colour]}m${text}\u001b[0m` : text;
}

/** The colour of a component state. */
export function stateColour(state: string): Colour {
  if (state === 'active') return 'green';
  if (state === 'failed-activation') return 'red';
  if (state.startsWith('unsatisfied')) return 'yellow';
  if (state === 'satisfied') return 'blue';
  return 'grey';
}
