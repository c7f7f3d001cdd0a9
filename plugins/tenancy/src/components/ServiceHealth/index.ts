export { EntityHealthCard } from './EntityHealthCard';
export { EntityHealthContent } from './EntityHealthContent';
