// Installs Debian packages a test needs, once: skips when `command` is already on PATH, installs with
// apt-get as root (or sudo without a password), and otherwise says what to run. Shared by the
// install-*.mjs scripts `npm run setup` runs.
import { spawnSync } from 'node:child_process';

const has = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;

/**
 * @param {{ command: string, packages: string[], recommends?: boolean, purpose: string }} wanted
 * @returns {number} the exit code for the calling script
 */
export function aptInstall({ command, packages, recommends = false, purpose }) {
  const install = `apt-get install -y${recommends ? '' : ' --no-install-recommends'} ${packages.join(' ')}`;
  if (has(command)) {
    console.log(`${command} present`);
    return 0;
  }
  if (!has('apt-get')) {
    console.warn(`${command} not found and there is no apt-get: install ${packages.join(' ')} ${purpose}`);
    return 0;
  }
  const root = process.getuid?.() === 0;
  const prefix = root ? '' : has('sudo') ? 'sudo -n ' : null;
  if (prefix === null) {
    console.warn(`${command} not found: run \`apt-get update && ${install}\` as root ${purpose}`);
    return 0;
  }
  const result = spawnSync(
    'sh',
    ['-c', `${prefix}apt-get update && DEBIAN_FRONTEND=noninteractive ${prefix}${install}`],
    { stdio: 'inherit' },
  );
  if (result.status !== 0) {
    console.error(
      `installing ${packages.join(' ')} failed (exit ${result.status}); run \`${install}\` as root`,
    );
    return 1;
  }
  return 0;
}
