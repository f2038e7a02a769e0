-- Queries over agentlog.events. Each starts with "-- name: <name>"; parameters
-- use ClickHouse query parameters: clickhouse-client --param_run_id=<uuid>,
-- or SET param_run_id = '<uuid>' in a session.

-- name: reconstruct_run
-- Every line of a run and of the runs it started, at any depth (child runs,
-- also those in other processes and services), in time order.
WITH RECURSIVE tree AS (
    SELECT {run_id:String} AS run_id
    UNION ALL
    SELECT child.run_id
    FROM agentlog.events AS child
    INNER JOIN tree ON child.parent_run_id = tree.run_id
    WHERE child.event = 'run_started'
)
SELECT
    timestamp,
    run_id,
    parent_run_id,
    span_id,
    parent_span_id,
    step_id,
    event,
    tool,
    tool_call_id,
    status,
    latency_ms,
    error_class,
    error_message
FROM agentlog.events
WHERE run_id IN (SELECT run_id FROM tree)
ORDER BY timestamp, run_id;

-- name: failing_step
-- Where a run failed: the first failed tool call, LLM call or step in the run
-- or in any run it started, at any depth.
WITH RECURSIVE tree AS (
    SELECT {run_id:String} AS run_id
    UNION ALL
    SELECT child.run_id
    FROM agentlog.events AS child
    INNER JOIN tree ON child.parent_run_id = tree.run_id
    WHERE child.event = 'run_started'
)
SELECT
    timestamp,
    run_id,
    step_id,
    event,
    tool,
    tool_call_id,
    error_class,
    error_message
FROM agentlog.events
WHERE run_id IN (SELECT run_id FROM tree)
  AND event IN ('tool_result', 'llm_result', 'step_finished')
  AND status = 'error'
ORDER BY timestamp
LIMIT 1;

-- name: failed_runs
-- Runs that ended in error, newest first.
SELECT
    timestamp AS finished,
    run_id,
    parent_run_id,
    service,
    stop_reason,
    errors,
    tool_calls,
    total_steps,
    total_latency_ms,
    error_class,
    error_message
FROM agentlog.events
WHERE event = 'run_finished' AND status = 'error'
ORDER BY timestamp DESC
LIMIT 100;

-- name: tool_latency
-- Per tool: calls, error rate and latency percentiles (milliseconds).
SELECT
    tool,
    count() AS calls,
    round(countIf(status = 'error') / count(), 4) AS error_rate,
    round(quantile(0.5)(latency_ms), 3) AS p50_ms,
    round(quantile(0.95)(latency_ms), 3) AS p95_ms,
    round(quantile(0.99)(latency_ms), 3) AS p99_ms
FROM agentlog.events
WHERE event = 'tool_result'
GROUP BY tool
ORDER BY calls DESC, tool;

-- name: stop_reasons
-- How runs end.
SELECT stop_reason, count() AS runs
FROM agentlog.events
WHERE event = 'run_finished'
GROUP BY stop_reason
ORDER BY runs DESC, stop_reason;
