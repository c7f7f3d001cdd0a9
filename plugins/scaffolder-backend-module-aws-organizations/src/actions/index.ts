export { createCreateAwsAccountAction, CREATE_ACTION_ID } from './create';
export type { CreateAwsAccountActionOptions } from './create';
export { createCloseAwsAccountAction, CLOSE_ACTION_ID } from './close';
export type { CloseAwsAccountActionOptions } from './close';
export { createRegisterAwsAccountAction, REGISTER_ACTION_ID } from './register';
export type { RegisterAwsAccountActionOptions } from './register';
