export { runActionOutsideTask } from './runOutsideTask';
export type { ActionRunOutsideTask, HandlerOnlyAction } from './runOutsideTask';
