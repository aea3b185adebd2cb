/** Reading a systemd unit file back the way systemd reads it (tests of scripts/install-boot.sh). */

/** The words of an Exec line as systemd splits them: double quotes, \" and \\ escapes, %% and $$. */
export function execWords(line: string): string[] {
  const words: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|(\S+)/g;
  for (let m = re.exec(line); m; m = re.exec(line)) {
    const raw = m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m[2]!;
    words.push(raw.replace(/%%/g, '%').replace(/\$\$/g, '$'));
  }
  return words;
}

export function unitKeys(text: string): Map<string, string[]> {
  const keys = new Map<string, string[]>();
  let section = '';
  for (const line of text.split('\n')) {
    if (/^\s*(#|$)/.test(line)) continue;
    const header = /^\[(\w+)\]$/.exec(line);
    if (header) {
      section = header[1]!;
      continue;
    }
    const [key, ...value] = line.split('=');
    const name = `${section}.${key}`;
    keys.set(name, [...(keys.get(name) ?? []), value.join('=')]);
  }
  return keys;
}
