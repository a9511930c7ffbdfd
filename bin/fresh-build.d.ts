export declare const BUILD_STAMP: string;
export declare const COMPILED_CLI: string;
export type BuildFreshness = { fresh: true } | { fresh: false; built: boolean; reason: string };
export declare function buildFreshness(root: string): BuildFreshness;
