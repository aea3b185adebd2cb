/**
 * Dockerfiles: parsed once (dockerfile-parse.ts), then every rule group (dockerfile-rules.ts) over
 * one scope; the facts (stages, commands, installs) go to the compose and dependency checks.
 */
import { finding } from './rules.js';
import type { Finding } from './types.js';
import { chain, chainInstrs, commandsIn, explicitInstalls, parse, type Instr, type Parsed, type Stage } from './dockerfile-parse.js';
import { DOCKERFILE_RULES, type DockerfileScope } from './dockerfile-rules.js';

export { normaliseDistribution, requirementName } from './dockerfile-parse.js';
export type { CommandFacts, DockerfileFacts } from './dockerfile-parse.js';
import type { DockerfileFacts } from './dockerfile-parse.js';

export interface DockerfileResult {
  findings: Finding[];
  facts: DockerfileFacts;
}

export function auditDockerfile(path: string, content: string): DockerfileResult {
  const findings: Finding[] = [];
  const add = (...args: Parameters<typeof finding>) => findings.push(finding(...args));
  let parsed: Parsed;
  try {
    parsed = parse(content);
  } catch (error) {
    add('PI-08', path, 1, `dockerfile-ast could not parse this Dockerfile: ${(error as Error).message}`);
    return { findings, facts: { path, stages: [], hasHealthcheck: () => false, commands: () => ({}), installs: new Set(), content, baseImage: '' } };
  }
  const { stages, all } = parsed;
  const healthOf = (stage: Stage) => chainInstrs(stage).some((i) => i.keyword === 'HEALTHCHECK' && !/^\s*NONE\b/i.test(i.args));
  const stageFor = (target?: string) => (target ? stages.find((s) => s.alias === target.toLowerCase()) : stages[stages.length - 1]);
  const facts: DockerfileFacts = {
    path,
    stages: stages.map((s) => ({ alias: s.alias, hasHealthcheck: healthOf(s) })),
    hasHealthcheck(target) {
      const stage = stageFor(target);
      return stage ? healthOf(stage) : false;
    },
    commands(target) {
      const stage = stageFor(target);
      return stage ? commandsIn(stage) : {};
    },
    installs: explicitInstalls(stages, parsed.globalArgs),
    content,
    baseImage: '',
  };
  if (stages.length === 0) {
    add('PI-08', path, 1, 'no FROM instruction: this is not a buildable Dockerfile');
    return { findings, facts };
  }
  const last = stages[stages.length - 1]!;
  const runtime = chain(last);
  facts.baseImage = runtime[0]!.unresolvedArg ? '' : runtime[0]!.image;
  const runtimeInstrs = chainInstrs(last);
  const inRuntime = (instr: Instr) => runtimeInstrs.includes(instr);

  const runtimeHealth = runtimeInstrs.filter((i) => i.keyword === 'HEALTHCHECK');
  const aliases = new Map<string, Stage>();
  for (const stage of stages) if (stage.alias) aliases.set(stage.alias, stage);
  const shellHasPipefail = new Map<Stage, boolean>();
  for (const stage of stages) {
    let pipefail = stage.base ? (shellHasPipefail.get(stage.base) ?? false) : false;
    for (const instr of stage.instrs) {
      if (instr.keyword === 'SHELL') pipefail = /pipefail/.test(instr.args);
      if (instr.keyword === 'RUN') instr.pipefail = pipefail;
    }
    shellHasPipefail.set(stage, pipefail);
  }

  const scope: DockerfileScope = { path, add, parsed, stages, all, last, runtime, runtimeInstrs, inRuntime, aliases, activeHealth: runtimeHealth[runtimeHealth.length - 1] };
  for (const rules of DOCKERFILE_RULES) rules(scope);
  return { findings, facts };
}
