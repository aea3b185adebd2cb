/** Reading a deployed Swarm stack for the smoke steps: its services, running tasks and their logs. */
import { runningContainer, serviceLogs, serviceTasks, type ServiceState } from '../swarm.js';
import { lastLines, StepFailure, type Context } from './steps.js';

/** The Swarm service of a stack service: `<stack>_<name>`. */
export function swarmService(ctx: Context, name: string): string {
  return `${ctx.project.name}_${name}`;
}

/** A running task's container of the service, or a step failure. */
export async function swarmContainer(ctx: Context, name: string): Promise<string> {
  const id = await runningContainer(swarmService(ctx, name));
  if (!id) throw new StepFailure(`no running ${name} task`);
  return id;
}

export function describeServices(states: ServiceState[]): string {
  return states.map((s) => `${s.name.slice(s.name.indexOf('_') + 1)} ${s.replicas}${s.updateState ? ` (${s.updateState})` : ''}`).join(', ');
}

/** The tasks and logs of every service that has not converged. */
export async function notConvergedReport(states: ServiceState[]): Promise<string> {
  const sections: string[] = [];
  for (const s of states.filter((x) => !x.converged)) {
    const tasks = (await serviceTasks(s.name)).slice(0, 3);
    const taskText = tasks.map((t) => `  ${t.state}${t.error ? `: ${t.error}` : ''}${t.exitCode !== undefined ? ` (exit ${t.exitCode})` : ''}`).join('\n');
    sections.push(`--- ${s.name} (${s.replicas}) tasks:\n${taskText || '  none'}\n--- logs:\n${lastLines(await serviceLogs(s.name), 30) || '(no output)'}`);
  }
  return sections.join('\n');
}
