/**
 * Request and response bodies of the MLflow REST endpoints the client uses
 * (https://mlflow.org/docs/latest/rest-api.html). int64 fields may come back as numbers or
 * strings depending on the server version, hence `Int64`.
 */
import type { JsonDouble } from './limits';
import type { MlflowRunStatus } from './types';

export type Int64 = number | string;

/** Error body of every non-2xx answer. */
export interface MlflowErrorBody {
  error_code?: string;
  message?: string;
}

export interface ApiKeyValue {
  key: string;
  value: string;
}

export interface ApiMetric {
  key: string;
  value: JsonDouble;
  timestamp: Int64;
  step: Int64;
}

export interface ApiExperiment {
  experiment_id: string;
  name: string;
  artifact_location?: string;
  lifecycle_stage?: 'active' | 'deleted';
}

export interface ApiRunInfo {
  run_id: string;
  run_uuid?: string;
  run_name?: string;
  experiment_id: string;
  status: MlflowRunStatus;
  start_time?: Int64;
  end_time?: Int64;
  artifact_uri: string;
  lifecycle_stage: 'active' | 'deleted';
  user_id?: string;
}

export interface ApiRunData {
  metrics?: ApiMetric[];
  params?: ApiKeyValue[];
  tags?: ApiKeyValue[];
}

export interface ApiRun {
  info: ApiRunInfo;
  data: ApiRunData;
}

// GET experiments/get-by-name?experiment_name=
export interface GetExperimentByNameResponse {
  experiment: ApiExperiment;
}

// POST experiments/create
export interface CreateExperimentRequest {
  name: string;
}
export interface CreateExperimentResponse {
  experiment_id: string;
}

// POST runs/create
export interface CreateRunRequest {
  experiment_id: string;
  run_name?: string;
  start_time: number;
  tags?: ApiKeyValue[];
  user_id?: string;
}
export interface CreateRunResponse {
  run: ApiRun;
}

// GET runs/get?run_id=
export interface GetRunResponse {
  run: ApiRun;
}

// POST runs/update
export interface UpdateRunRequest {
  run_id: string;
  status?: MlflowRunStatus;
  end_time?: number;
  run_name?: string;
}
export interface UpdateRunResponse {
  run_info: ApiRunInfo;
}

// POST runs/search
export interface SearchRunsRequest {
  experiment_ids: string[];
  filter?: string;
  run_view_type?: 'ACTIVE_ONLY' | 'DELETED_ONLY' | 'ALL';
  max_results?: number;
  order_by?: string[];
  page_token?: string;
}
export interface SearchRunsResponse {
  runs?: ApiRun[];
  next_page_token?: string;
}

// POST runs/log-batch (empty response)
export interface LogBatchRequest {
  run_id: string;
  metrics: ApiMetric[];
  params: ApiKeyValue[];
  tags: ApiKeyValue[];
}

// POST runs/set-tag (empty response)
export interface SetTagRequest {
  run_id: string;
  key: string;
  value: string;
}

// POST runs/delete and runs/restore (empty responses)
export interface RunIdRequest {
  run_id: string;
}

// GET metrics/get-history?run_id=&metric_key=&max_results=&page_token=
export interface GetMetricHistoryResponse {
  metrics?: ApiMetric[];
  next_page_token?: string;
}

// GET mlflow-artifacts/artifacts?path=
export interface ApiFileInfo {
  path: string;
  is_dir: boolean;
  file_size?: Int64;
}
export interface ListArtifactsResponse {
  files?: ApiFileInfo[];
}

/** The (empty) body of endpoints that return nothing. */
export type EmptyResponse = Record<string, never>;
