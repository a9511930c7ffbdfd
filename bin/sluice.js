#!/usr/bin/env node
// The `sluice` command: runs the TypeScript sources directly through tsx's loader.
import { register } from 'tsx/esm/api';

register();
await import('../cli/main.ts');
