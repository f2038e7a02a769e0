-- agentlog lines (format="json") in ClickHouse, ingested as JSONEachRow.
--
--   clickhouse-client --query "INSERT INTO agentlog.events
--       SETTINGS input_format_skip_unknown_fields = 1, date_time_input_format = 'best_effort'
--       FORMAT JSONEachRow" < agent.jsonl
--
-- Fields a line does not have take their defaults ('' or NULL); fields the
-- table does not know (your own) are skipped.

CREATE DATABASE IF NOT EXISTS agentlog;

CREATE TABLE IF NOT EXISTS agentlog.events
(
    timestamp        DateTime64(6, 'UTC'),
    level            LowCardinality(String),
    event            String,
    service          LowCardinality(String) DEFAULT '',
    env              LowCardinality(String) DEFAULT '',
    version          LowCardinality(String) DEFAULT '',
    logger           LowCardinality(String) DEFAULT '',
    run_id           String DEFAULT '',
    parent_run_id    String DEFAULT '',
    trace_id         String DEFAULT '',
    span_id          String DEFAULT '',
    parent_span_id   String DEFAULT '',
    step_id          Nullable(UInt32),
    step_type        LowCardinality(String) DEFAULT '',
    tool_call_id     String DEFAULT '',
    tool             LowCardinality(String) DEFAULT '',
    session_id       String DEFAULT '',
    request_id       String DEFAULT '',
    user_id          String DEFAULT '',
    status           LowCardinality(String) DEFAULT '',
    stop_reason      LowCardinality(String) DEFAULT '',
    latency_ms       Nullable(Float64),
    total_latency_ms Nullable(Float64),
    model            LowCardinality(String) DEFAULT '',
    provider         LowCardinality(String) DEFAULT '',
    input_tokens     Nullable(UInt64),
    output_tokens    Nullable(UInt64),
    cache_read_input_tokens     Nullable(UInt64),
    cache_creation_input_tokens Nullable(UInt64),
    reasoning_output_tokens     Nullable(UInt64),
    finish_reason    LowCardinality(String) DEFAULT '',
    total_steps      Nullable(UInt32),
    tool_calls       Nullable(UInt32),
    llm_calls        Nullable(UInt32),
    errors           Nullable(UInt32),
    task_hash        String DEFAULT '',
    args_hash        String DEFAULT '',
    result_hash      String DEFAULT '',
    kind             LowCardinality(String) DEFAULT '',
    outcome          String DEFAULT '',
    reason           String DEFAULT '',
    error_class      LowCardinality(String) DEFAULT '',
    error_message    String DEFAULT '',
    error_stack      String DEFAULT '',
    INDEX idx_trace_id trace_id TYPE bloom_filter GRANULARITY 4,
    INDEX idx_parent_run_id parent_run_id TYPE bloom_filter GRANULARITY 4
)
ENGINE = MergeTree
PARTITION BY toDate(timestamp)
ORDER BY (run_id, timestamp);
