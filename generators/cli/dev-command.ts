/**
 * `create-pyimage dev [dir]`: the development loop (scripts/dev.sh): the same stack with the app's
 * reload server and Compose watch; Ctrl-C stops and removes it.
 */
import { Command, Option } from 'commander';
import { chooseEngine } from '../engine/engines.js';

export function register(program: Command, setExit: (code: number) => void): void {
  program
    .command('dev')
    .description('run the stack in development mode: reload server, code synced by Compose watch (scripts/dev.sh)')
    .argument('[dir]', 'the generated project', '.')
    .option('--mount', 'bind-mount the project instead of Compose watch (what an older Compose gets)')
    .addOption(new Option('--engine <engine>', 'docker or podman (CONTAINER_ENGINE; default: the only one installed, else docker)'))
    .addHelpText(
      'after',
      '\nStarts the same services as production (database, Redis, worker) as the project <name>-dev,\n' +
        'from compose.dev.yml over docker-compose.yml. Code edits are served without an image build;\n' +
        'a dependency file rebuilds (a Dockerfile edit: run it again). Needs Compose 2.22+ (2.23+ with a worker).',
    )
    .action(async (dir: string | undefined, options: { mount?: boolean; engine?: string }) => {
      const engine = options.engine === undefined ? undefined : chooseEngine(options.engine);
      // The engine room (process handling) loads only for `dev`.
      const { runDev } = await import('../engine/dev.js');
      setExit(await runDev(dir, { mount: options.mount, engine }));
    });
}
