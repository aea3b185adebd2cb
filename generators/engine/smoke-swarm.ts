/** `create-pyimage smoke --swarm`: the Swarm run lives in smoke/swarm.ts. */
export { localStack, requiredLabels, smokeSwarm } from './smoke/swarm.js';
