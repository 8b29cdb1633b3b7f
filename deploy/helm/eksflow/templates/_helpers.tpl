{{- define "eksflow.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "eksflow.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "eksflow.selector" -}}
app.kubernetes.io/name: {{ .root.Chart.Name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "eksflow.serviceAccountName" -}}
{{- default (include "eksflow.fullname" .) .Values.serviceAccount.name -}}
{{- end -}}

{{- define "eksflow.image" -}}
{{ .Values.image.repository }}:{{ default .Chart.AppVersion .Values.image.tag }}
{{- end -}}

{{- define "eksflow.publicUrl" -}}
{{- if .Values.ingress.publicUrl -}}{{ .Values.ingress.publicUrl }}
{{- else if .Values.ingress.ingress.enabled -}}https://{{ .Values.ingress.ingress.host }}
{{- else -}}http://{{ include "eksflow.fullname" . }}-ingress.{{ .Release.Namespace }}.svc
{{- end -}}
{{- end -}}

{{/* Environment shared by the worker, the ingress and the schedules job. */}}
{{- define "eksflow.env" -}}
- name: EKSFLOW_CONFIG
  value: /etc/eksflow/eksflow.yaml
- name: TEMPORAL_ADDRESS
  value: {{ .Values.temporal.address | quote }}
- name: TEMPORAL_NAMESPACE
  value: {{ .Values.temporal.namespace | quote }}
- name: TEMPORAL_TASK_QUEUE
  value: {{ .Values.temporal.taskQueue | quote }}
{{- with .Values.temporal.uiUrl }}
- name: TEMPORAL_UI_URL
  value: {{ . | quote }}
{{- end }}
{{- if .Values.temporal.tls.secretName }}
- name: TEMPORAL_TLS_CERT
  value: /etc/temporal-tls/tls.crt
- name: TEMPORAL_TLS_KEY
  value: /etc/temporal-tls/tls.key
{{- end }}
{{- if .Values.temporal.apiKey.secretName }}
- name: TEMPORAL_API_KEY
  valueFrom:
    secretKeyRef:
      name: {{ .Values.temporal.apiKey.secretName }}
      key: {{ .Values.temporal.apiKey.key }}
{{- end }}
- name: AWS_REGION
  value: {{ .Values.aws.region | quote }}
- name: EKSFLOW_AUDIT_LOG
  value: /var/lib/eksflow/audit.jsonl
- name: EKSFLOW_REPORTS_DIR
  value: /var/lib/eksflow/reports
{{- with .Values.reports.bucket }}
- name: EKSFLOW_REPORTS_BUCKET
  value: {{ . | quote }}
- name: EKSFLOW_REPORTS_REGION
  value: {{ $.Values.aws.region | quote }}
{{- end }}
{{- with .Values.reports.kmsKeyId }}
- name: EKSFLOW_REPORTS_KMS_KEY_ID
  value: {{ . | quote }}
{{- end }}
- name: EKSFLOW_PUBLIC_URL
  value: {{ include "eksflow.publicUrl" . | quote }}
{{- if .Values.ingress.tokenSecret.name }}
- name: EKSFLOW_INGRESS_TOKEN
  valueFrom:
    secretKeyRef:
      name: {{ .Values.ingress.tokenSecret.name }}
      key: {{ .Values.ingress.tokenSecret.key }}
{{- end }}
- name: HOME
  value: /tmp
- name: NODE_ENV
  value: production
{{- range $name, $value := .Values.extraEnv }}
- name: {{ $name }}
  value: {{ $value | quote }}
{{- end }}
{{- end -}}

{{- define "eksflow.envFrom" -}}
{{- range .Values.envFromSecrets }}
- secretRef:
    name: {{ . }}
{{- end }}
{{- end -}}

{{- define "eksflow.volumeMounts" -}}
- name: config
  mountPath: /etc/eksflow
  readOnly: true
- name: data
  mountPath: /var/lib/eksflow
- name: tmp
  mountPath: /tmp
{{- if .Values.temporal.tls.secretName }}
- name: temporal-tls
  mountPath: /etc/temporal-tls
  readOnly: true
{{- end }}
{{- end -}}

{{- define "eksflow.volumes" -}}
- name: config
  configMap:
    name: {{ include "eksflow.fullname" . }}-config
- name: data
  emptyDir: {}
- name: tmp
  emptyDir: {}
{{- if .Values.temporal.tls.secretName }}
- name: temporal-tls
  secret:
    secretName: {{ .Values.temporal.tls.secretName }}
{{- end }}
{{- end -}}

{{- define "eksflow.podSpecCommon" -}}
serviceAccountName: {{ include "eksflow.serviceAccountName" . }}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
volumes:
  {{- include "eksflow.volumes" . | nindent 2 }}
{{- end -}}
