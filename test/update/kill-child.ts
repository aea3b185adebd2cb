/**
 * Child process for kill.test.ts: runs `update --set postgres=true` on argv[2] and SIGKILLs itself
 * at the Nth file operation (argv[3]: rename, write or rm, argv[4]: N), as a crash or an OOM kill
 * would. With argv[5] = M, the Mth rename throws first, so the kill lands in the rollback.
 * Prints the number of renames and writes when it is not killed (to pick the kill points).
 */
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';

const [dir, op = 'rename', at = '-1', failAt = '-1'] = process.argv.slice(2);
const killAt = Number(at);
const fail = Number(failAt);
const counts = { rename: 0, write: 0, rm: 0 };
const realRename = fs.renameSync;
const realWrite = fs.writeFileSync;
fs.renameSync = ((from: fs.PathLike, to: fs.PathLike) => {
  if (op === 'rename' && counts.rename === killAt) process.kill(process.pid, 'SIGKILL');
  if (counts.rename++ === fail) throw Object.assign(new Error('EIO: injected failure'), { code: 'EIO' });
  return realRename(from, to);
}) as typeof fs.renameSync;
fs.writeFileSync = ((...args: Parameters<typeof fs.writeFileSync>) => {
  if (op === 'write' && counts.write === killAt) process.kill(process.pid, 'SIGKILL');
  counts.write++;
  return realWrite(...args);
}) as typeof fs.writeFileSync;
const realRm = fs.rmSync;
fs.rmSync = ((...args: Parameters<typeof fs.rmSync>) => {
  if (op === 'rm' && counts.rm === killAt) process.kill(process.pid, 'SIGKILL');
  counts.rm++;
  return realRm(...args);
}) as typeof fs.rmSync;
syncBuiltinESMExports();

const { runUpdate } = await import('../../generators/update/run.js');
try {
  await runUpdate(dir, { set: ['postgres=true'], out: () => {}, note: () => {} });
} catch (error) {
  console.error((error as Error).message);
}
console.log(JSON.stringify(counts));
