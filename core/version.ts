/** sluice's version, as run artifacts name it. */
export const SLUICE_VERSION = '0.1.0';
