import { z } from 'zod';
import {
  dnsLabelSchema,
  dnsSubdomainSchema,
  httpFields,
  secretRefSchema,
  stringMapSchema,
} from '../http/params.js';

export const argoParams = z.strictObject({
  ...httpFields,
  namespace: dnsLabelSchema.optional().describe("the workflow namespace; default: the target's namespace"),
  workflowTemplate: dnsSubdomainSchema.describe('the WorkflowTemplate to submit'),
  parameters: stringMapSchema.optional().describe('workflow parameters; values may use {{ labels.X }}'),
  token: secretRefSchema.optional().describe('bearer token for the Argo server (client auth mode)'),
});
export type ArgoParams = z.infer<typeof argoParams>;
