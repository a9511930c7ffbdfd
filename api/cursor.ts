/** A list's `cursor` parameter, checked before the query so a bad one is a 400 naming it. */
import { decodeCursor } from '../state/pagination.ts';
import { badRequest } from './errors.ts';

export function checkCursor(cursor: string | undefined, idType: 'string' | 'number'): string | undefined {
  if (cursor === undefined) return undefined;
  try {
    if (idType === 'string') decodeCursor<string>(cursor, 'string');
    else decodeCursor<number>(cursor, 'number');
  } catch {
    throw badRequest('cursor is not one this list returned: pass the nextCursor of the previous page', {
      field: 'cursor',
    });
  }
  return cursor;
}
