import type { RbacRule } from '../types.js';

/** Every action that changes an object records an events.k8s.io Event on it. */
export const eventRule: RbacRule = {
  apiGroups: ['events.k8s.io'],
  resources: ['events'],
  verbs: ['create'],
  why: 'record an Event on the object it changed',
};
