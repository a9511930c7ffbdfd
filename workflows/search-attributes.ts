/** Typed search attributes sluice sets on its workflows, so the Web UI can filter by them. */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const SluiceEnvironment = defineSearchAttributeKey('SluiceEnvironment', SearchAttributeType.KEYWORD);
export const SluiceModels = defineSearchAttributeKey('SluiceModels', SearchAttributeType.KEYWORD_LIST);
export const SluiceTrigger = defineSearchAttributeKey('SluiceTrigger', SearchAttributeType.KEYWORD);

/** Every key, for registering them on a Temporal server. */
export const SLUICE_SEARCH_ATTRIBUTES = [SluiceEnvironment, SluiceModels, SluiceTrigger];
