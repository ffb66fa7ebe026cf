/**
 * Field numbers of the k8s.io/api generated.proto messages kubectl's typed clients send (create job, create
 * deployment, create cronjob, create namespace). Format: `jsonName=number[:type][*][?][^]` with type s (string,
 * default), i (int32/int64), b (bool), a message name, map (map<string,string>), qmap (map<string,Quantity>) or
 * skip; `*` repeated, `?` a Go pointer (zero values are kept), `^` embedded inline in its parent's JSON.
 * A field not listed here makes decoding fail loudly (415) rather than lose data: add it here when that happens.
 */
const MESSAGES: Record<string, string> = {
  Namespace: 'metadata=1:ObjectMeta spec=2:NamespaceSpec status=3:skip',
  NamespaceSpec: 'finalizers=1*',
  Job: 'metadata=1:ObjectMeta spec=2:JobSpec status=3:skip',
  JobSpec:
    'parallelism=1:i? completions=2:i? activeDeadlineSeconds=3:i? selector=4:LabelSelector manualSelector=5:b? ' +
    'template=6:PodTemplateSpec backoffLimit=7:i? ttlSecondsAfterFinished=8:i? completionMode=9? suspend=10:b? ' +
    'backoffLimitPerIndex=12:i? maxFailedIndexes=13:i? podReplacementPolicy=14? managedBy=15?',
  JobTemplateSpec: 'metadata=1:ObjectMeta spec=2:JobSpec',
  CronJob: 'metadata=1:ObjectMeta spec=2:CronJobSpec status=3:skip',
  CronJobSpec:
    'schedule=1 startingDeadlineSeconds=2:i? concurrencyPolicy=3 suspend=4:b? jobTemplate=5:JobTemplateSpec ' +
    'successfulJobsHistoryLimit=6:i? failedJobsHistoryLimit=7:i? timeZone=8?',
  Deployment: 'metadata=1:ObjectMeta spec=2:DeploymentSpec status=3:skip',
  DeploymentSpec:
    'replicas=1:i? selector=2:LabelSelector template=3:PodTemplateSpec strategy=4:DeploymentStrategy ' +
    'minReadySeconds=5:i revisionHistoryLimit=6:i? paused=7:b progressDeadlineSeconds=9:i?',
  DeploymentStrategy: 'type=1 rollingUpdate=2:RollingUpdateDeployment',
  RollingUpdateDeployment: 'maxUnavailable=1:IntOrString maxSurge=2:IntOrString',
  ObjectMeta:
    'name=1 generateName=2 namespace=3 selfLink=4 uid=5 resourceVersion=6 generation=7:i creationTimestamp=8:Time ' +
    'deletionTimestamp=9:Time? deletionGracePeriodSeconds=10:i? labels=11:map annotations=12:map ' +
    'ownerReferences=13:OwnerReference* finalizers=14* managedFields=17:skip',
  OwnerReference: 'kind=1 name=3 uid=4 apiVersion=5 controller=6:b? blockOwnerDeletion=7:b?',
  LabelSelector: 'matchLabels=1:map matchExpressions=2:LabelSelectorRequirement*',
  LabelSelectorRequirement: 'key=1 operator=2 values=3*',
  PodTemplateSpec: 'metadata=1:ObjectMeta spec=2:PodSpec',
  PodSpec:
    'volumes=1:Volume* containers=2:Container* restartPolicy=3 terminationGracePeriodSeconds=4:i? ' +
    'activeDeadlineSeconds=5:i? dnsPolicy=6 nodeSelector=7:map serviceAccountName=8 serviceAccount=9 nodeName=10 ' +
    'hostNetwork=11:b hostPID=12:b hostIPC=13:b securityContext=14:PodSecurityContext ' +
    'imagePullSecrets=15:LocalObjectReference* hostname=16 subdomain=17 schedulerName=19 initContainers=20:Container* ' +
    'automountServiceAccountToken=21:b? tolerations=22:Toleration* priorityClassName=24 priority=25:i? ' +
    'shareProcessNamespace=27:b? runtimeClassName=29? enableServiceLinks=30:b? preemptionPolicy=31? ' +
    'setHostnameAsFQDN=35:b? hostUsers=37:b?',
  Container:
    'name=1 image=2 command=3* args=4* workingDir=5 ports=6:ContainerPort* env=7:EnvVar* ' +
    'resources=8:ResourceRequirements volumeMounts=9:VolumeMount* livenessProbe=10:Probe readinessProbe=11:Probe ' +
    'terminationMessagePath=13 imagePullPolicy=14 securityContext=15:SecurityContext stdin=16:b stdinOnce=17:b ' +
    'tty=18:b envFrom=19:EnvFromSource* terminationMessagePolicy=20 startupProbe=22:Probe restartPolicy=24?',
  ContainerPort: 'name=1 hostPort=2:i containerPort=3:i protocol=4 hostIP=5',
  EnvVar: 'name=1 value=2 valueFrom=3:EnvVarSource',
  EnvVarSource:
    'fieldRef=1:ObjectFieldSelector resourceFieldRef=2:ResourceFieldSelector ' +
    'configMapKeyRef=3:ConfigMapKeySelector secretKeyRef=4:SecretKeySelector',
  ObjectFieldSelector: 'apiVersion=1 fieldPath=2',
  ResourceFieldSelector: 'containerName=1 resource=2 divisor=3:Quantity',
  ConfigMapKeySelector: 'localObjectReference=1:LocalObjectReference^ key=2 optional=3:b?',
  SecretKeySelector: 'localObjectReference=1:LocalObjectReference^ key=2 optional=3:b?',
  EnvFromSource: 'prefix=1 configMapRef=2:ConfigMapEnvSource secretRef=3:SecretEnvSource',
  ConfigMapEnvSource: 'localObjectReference=1:LocalObjectReference^ optional=2:b?',
  SecretEnvSource: 'localObjectReference=1:LocalObjectReference^ optional=2:b?',
  LocalObjectReference: 'name=1',
  ResourceRequirements: 'limits=1:qmap requests=2:qmap',
  VolumeMount:
    'name=1 readOnly=2:b mountPath=3 subPath=4 mountPropagation=5? subPathExpr=6 recursiveReadOnly=7?',
  Volume: 'name=1 volumeSource=2:VolumeSource^',
  VolumeSource:
    'hostPath=1:HostPathVolumeSource emptyDir=2:EmptyDirVolumeSource secret=6:SecretVolumeSource ' +
    'persistentVolumeClaim=10:PersistentVolumeClaimVolumeSource configMap=19:ConfigMapVolumeSource',
  HostPathVolumeSource: 'path=1 type=2?',
  EmptyDirVolumeSource: 'medium=1 sizeLimit=2:Quantity',
  SecretVolumeSource: 'secretName=1 items=2:KeyToPath* defaultMode=3:i? optional=4:b?',
  ConfigMapVolumeSource:
    'localObjectReference=1:LocalObjectReference^ items=2:KeyToPath* defaultMode=3:i? optional=4:b?',
  PersistentVolumeClaimVolumeSource: 'claimName=1 readOnly=2:b',
  KeyToPath: 'key=1 path=2 mode=3:i?',
  Probe:
    'handler=1:ProbeHandler^ initialDelaySeconds=2:i timeoutSeconds=3:i periodSeconds=4:i successThreshold=5:i ' +
    'failureThreshold=6:i terminationGracePeriodSeconds=7:i?',
  ProbeHandler: 'exec=1:ExecAction httpGet=2:HTTPGetAction tcpSocket=3:TCPSocketAction grpc=4:GRPCAction',
  ExecAction: 'command=1*',
  HTTPGetAction: 'path=1 port=2:IntOrString host=3 scheme=4 httpHeaders=5:HTTPHeader*',
  HTTPHeader: 'name=1 value=2',
  TCPSocketAction: 'port=1:IntOrString host=2',
  GRPCAction: 'port=1:i service=2?',
  PodSecurityContext:
    'runAsUser=2:i? runAsNonRoot=3:b? supplementalGroups=4:i* fsGroup=5:i? runAsGroup=6:i? ' +
    'fsGroupChangePolicy=9? seccompProfile=10:SeccompProfile',
  SecurityContext:
    'capabilities=1:Capabilities privileged=2:b? runAsUser=4:i? runAsNonRoot=5:b? readOnlyRootFilesystem=6:b? ' +
    'allowPrivilegeEscalation=7:b? runAsGroup=8:i? procMount=9? seccompProfile=11:SeccompProfile',
  Capabilities: 'add=1* drop=2*',
  SeccompProfile: 'type=1 localhostProfile=2?',
  Toleration: 'key=1 operator=2 value=3 effect=4 tolerationSeconds=5:i?',
};

export type FieldSpec = { name: string; type: string; repeated: boolean; pointer: boolean; inline: boolean };

/** Messages by name, fields by number. */
export const schema: Record<string, Map<number, FieldSpec>> = Object.fromEntries(
  Object.entries(MESSAGES).map(([msg, spec]) => {
    const fields = new Map<number, FieldSpec>();
    for (const token of spec.split(/\s+/).filter(Boolean)) {
      const m = /^(\w+)=(\d+)(?::(\w+))?([*?^]*)$/.exec(token);
      if (!m) throw new Error(`bad protobuf schema token ${msg}.${token}`);
      const flags = m[4] ?? '';
      fields.set(Number(m[2]), {
        name: m[1] ?? '',
        type: m[3] ?? 's',
        repeated: flags.includes('*'),
        pointer: flags.includes('?'),
        inline: flags.includes('^'),
      });
    }
    return [msg, fields];
  }),
);
