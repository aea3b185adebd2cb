/**
 * The pipeline for the user's project (`--ci github|gitlab|none`): files like every other rendered
 * file, so generate writes them all-or-nothing and `update` merges them.
 */
import type { StackView } from '../view.js';
import { dependabotYaml, DEPENDABOT_FILE, WORKFLOW_FILE, workflowYaml } from './github.js';
import { GITLAB_FILE, gitlabYaml, RENOVATE_FILE, renovateJson } from './gitlab.js';

export interface CiFile {
  path: string;
  content: string;
}

export function ciFiles(view: StackView): CiFile[] {
  switch (view.answers.ci) {
    case 'github':
      return [
        { path: WORKFLOW_FILE, content: workflowYaml(view) },
        { path: DEPENDABOT_FILE, content: dependabotYaml(view) },
      ];
    case 'gitlab':
      return [
        { path: GITLAB_FILE, content: gitlabYaml(view) },
        { path: RENOVATE_FILE, content: renovateJson(view) },
      ];
    default:
      return [];
  }
}
