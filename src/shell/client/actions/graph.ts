import { type CliContext, print } from '../CliContext.js';

export async function graph(context: CliContext, options: { format?: string; feature?: string }): Promise<void> {
  const query = new URLSearchParams({ format: options.format ?? 'dot', ...(options.feature !== undefined && { feature: options.feature }) });
  const result = await (await context.client()).get<{ text: string }>(`graph?${query.toString()}`);
  print(context, result, () => result.text.trimEnd());
}
