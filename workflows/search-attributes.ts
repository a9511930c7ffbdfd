/** Typed search attributes sluice sets on its workflows, so the Web UI can filter by them. */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const SluiceEnvironment = defineSearchAttributeKey('SluiceEnvironment', SearchAttributeType.KEYWORD);
export const SluiceModels = defineSearchAttributeKey('SluiceModels', SearchAttributeType.KEYWORD_LIST);
export const SluiceTrigger = defineSearchAttributeKey('SluiceTrigger', SearchAttributeType.KEYWORD);

/** Every key, for registering them on a Temporal server. */
export const SLUICE_SEARCH_ATTRIBUTES = [SluiceEnvironment, SluiceModels, SluiceTrigger];

/** At most this many model names go into `SluiceModels`. */
export const MAX_MODELS_ATTRIBUTE = 20;
/**
 * ... and at most this many bytes (a UTF-16 unit counted as 3 bytes, plus 3 for quotes and comma),
 * well inside the 2,048 bytes a default Temporal server accepts for one search attribute value.
 */
export const MAX_MODELS_ATTRIBUTE_BYTES = 1_000;

/**
 * The bounded summary of a run's models that `SluiceModels` carries: the first names in order,
 * as many as fit. Search attributes are for finding workflows; the full list is in the state DB
 * (the run's record) and in the workflow's input.
 */
export function modelsAttribute(models: readonly string[]): string[] {
  const names: string[] = [];
  let bytes = 2;
  for (const model of [...new Set(models)].sort()) {
    const size = model.length * 3 + 3;
    if (names.length === MAX_MODELS_ATTRIBUTE || bytes + size > MAX_MODELS_ATTRIBUTE_BYTES) break;
    names.push(model);
    bytes += size;
  }
  return names;
}
