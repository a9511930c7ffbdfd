/** The CLI's tables are the plain-text tables of core/text-table.ts (the plan summary artifact prints them too). */
export { formatTable } from '../core/text-table.ts';
