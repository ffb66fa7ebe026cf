import { z } from 'zod';
import { dnsLabelSchema, httpFields, secretRefSchema, stringMapSchema } from '../http/params.js';

const kfpId = z.string().regex(/^[A-Za-z0-9_-]{1,128}$/, 'expected a Kubeflow Pipelines id');

export const kubeflowParams = z.strictObject({
  ...httpFields,
  pipelineId: kfpId.describe('the pipeline to run'),
  pipelineVersionId: kfpId.optional().describe('default: the latest version of the pipeline'),
  experimentId: kfpId.optional().describe('the experiment the run belongs to (and is looked up in)'),
  namespace: dnsLabelSchema.optional().describe('the profile namespace (multi-user Kubeflow)'),
  parameters: stringMapSchema.optional().describe('pipeline parameters; values may use {{ labels.X }}'),
  token: secretRefSchema.optional().describe('bearer token for the Kubeflow Pipelines API'),
});
export type KubeflowParams = z.infer<typeof kubeflowParams>;
