// The layouts render can write (kept apart from the renderer so the CLI can list them without loading it).
export type Layout = 'plain' | 'sqitch' | 'flyway';
export const LAYOUTS: readonly Layout[] = ['plain', 'sqitch', 'flyway'];
