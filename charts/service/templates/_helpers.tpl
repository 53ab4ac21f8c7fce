{{/*
Name of the service (the app.kubernetes.io/name label). Every platform service deploys this
chart, so the name comes from the per-service value service.name, not from the chart name.
*/}}
{{- define "service.name" -}}
{{- .Values.service.name | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Fully qualified name of the service's resources (Deployment, Service, ServiceAccount, ...).
It is the service name, so other workloads reach it at http://<service.name>.<namespace>.svc,
and the ServiceAccount name matches the IRSA trust policy Terraform writes for the service.
fullnameOverride replaces it.
*/}}
{{- define "service.fullname" -}}
{{- default .Values.service.name .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Chart name and version, for the helm.sh/chart label.
*/}}
{{- define "service.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Version of the running application: the image tag, or the chart's appVersion when the image is
pinned by digest only.
*/}}
{{- define "service.version" -}}
{{- .Values.image.tag | default .Chart.AppVersion | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Common labels: the six labels every resource of the chart carries.
*/}}
{{- define "service.labels" -}}
helm.sh/chart: {{ include "service.chart" . }}
{{ include "service.selectorLabels" . }}
app.kubernetes.io/version: {{ include "service.version" . | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
team: {{ .Values.team | quote }}
{{- end }}

{{/*
Selector labels: identify the service's release. Immutable once a Deployment exists.
*/}}
{{- define "service.selectorLabels" -}}
app.kubernetes.io/name: {{ include "service.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/*
Selector of the serving pods (Deployment, Service, PodDisruptionBudget, topology spread).
The component label keeps the migration and test hook pods, which carry the same name and
instance labels, out of the Service's endpoints and the PodDisruptionBudget.
*/}}
{{- define "service.serverSelectorLabels" -}}
{{ include "service.selectorLabels" . }}
app.kubernetes.io/component: server
{{- end }}

{{/*
Name of the ServiceAccount the service runs as.
*/}}
{{- define "service.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "service.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
Container image reference: repository:tag, repository@digest or repository:tag@digest.
*/}}
{{- define "service.image" -}}
{{- $image := .Values.image.repository }}
{{- with .Values.image.tag }}{{ $image = printf "%s:%s" $image . }}{{ end }}
{{- with .Values.image.digest }}{{ $image = printf "%s@%s" $image . }}{{ end }}
{{- $image }}
{{- end }}

{{/*
Pod-level security context shared by every pod of the chart (server, migrations).
*/}}
{{- define "service.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: {{ .Values.securityContext.runAsUser }}
runAsGroup: {{ .Values.securityContext.runAsGroup }}
fsGroup: {{ .Values.securityContext.fsGroup }}
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{/*
Container-level security context: fixed, hardened; values.yaml cannot weaken it.
*/}}
{{- define "service.containerSecurityContext" -}}
runAsNonRoot: true
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
privileged: false
capabilities:
  drop:
    - ALL
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{/*
Environment of the service's containers: plain settings only (secrets come through envFrom).
*/}}
{{- define "service.env" -}}
- name: ENVIRONMENT
  value: {{ .Values.environment | quote }}
- name: LOG_LEVEL
  value: {{ .Values.logLevel | quote }}
{{- range $name, $value := .Values.env }}
- name: {{ $name }}
  value: {{ $value | quote }}
{{- end }}
{{- end }}

{{/*
envFrom: one secretRef per Kubernetes Secret that an External Secrets Operator ExternalSecret
creates for the service. Not optional: a pod waits until its Secrets exist.
*/}}
{{- define "service.envFrom" -}}
{{- $refs := list }}
{{- range .Values.externalSecrets }}
{{- $refs = append $refs (dict "secretRef" (dict "name" .)) }}
{{- end }}
{{- toYaml $refs }}
{{- end }}

{{/*
Cross-field checks that values.schema.json cannot express. Included by deployment.yaml.
*/}}
{{- define "service.validate" -}}
{{- with .Values.autoscaling }}
{{- if and .enabled (gt (int .minReplicas) (int .maxReplicas)) }}
{{- fail (printf "autoscaling.minReplicas (%d) must not exceed autoscaling.maxReplicas (%d)" (int .minReplicas) (int .maxReplicas)) }}
{{- end }}
{{- end }}
{{- end }}
