/** `text` ending with one full stop (messages that quote another message must not end in "..". or "?."). */
export function sentence(text: string): string {
  return /[.!?]$/.test(text.trimEnd()) ? text.trimEnd() : `${text.trimEnd()}.`;
}
