-- agentlog lines (format="json") in ClickHouse.
--
-- Two ways in, into the same table agentlog.events:
--
-- 1. Whole lines into agentlog.lines (recommended): every field agentlog
--    writes gets its column, and every metadata key of a run (any name, e.g.
--    prompt_version, experiment, customer_tier) is kept in run_metadata.
--
--   clickhouse-client --query "INSERT INTO agentlog.lines FORMAT JSONAsString" < agent.jsonl
--
-- 2. JSONEachRow straight into agentlog.events: the same columns, but of a
--    run's metadata only the four named *_version columns are kept (fields the
--    table does not know are skipped).
--
--   clickhouse-client --query "INSERT INTO agentlog.events
--       SETTINGS input_format_skip_unknown_fields = 1, date_time_input_format = 'best_effort'
--       FORMAT JSONEachRow" < agent.jsonl
--
-- Fields a line does not have take their defaults ('' or NULL).
--
-- Costs are Decimal(38, 18): sums of many calls' costs are exact, as in the
-- explorer, where a float sum would drift in the last digits.

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
    temperature      Nullable(Float64),
    max_tokens       Nullable(UInt64),
    top_p            Nullable(Float64),
    seed             Nullable(Int64),
    input_tokens     Nullable(UInt64),
    output_tokens    Nullable(UInt64),
    cache_read_input_tokens     Nullable(UInt64),
    cache_creation_input_tokens Nullable(UInt64),
    reasoning_output_tokens     Nullable(UInt64),
    cost_usd         Nullable(Decimal(38, 18)),
    price_source     LowCardinality(String) DEFAULT '',
    price_version    LowCardinality(String) DEFAULT '',
    child_cost_usd   Nullable(Decimal(38, 18)),
    unpriced_llm_calls Nullable(UInt32),
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
    -- The usual run metadata, on run_started lines, as columns of their own.
    prompt_version        LowCardinality(String) DEFAULT '',
    policy_version        LowCardinality(String) DEFAULT '',
    route_config_version  LowCardinality(String) DEFAULT '',
    tool_contract_version LowCardinality(String) DEFAULT '',
    -- A run's metadata on its run_started line, every key (filled from
    -- agentlog.lines, from JSONEachRow only the four columns above). Text
    -- values as they are, numbers and booleans as JSON (as `agentlog runs
    -- --meta` compares them). Null, objects and arrays are left out, so that
    -- such a run is in the group NULL of the key, as in `stats --by`.
    run_metadata     Map(String, String) DEFAULT if(
        event = 'run_started',
        mapFilter(
            (key, value) -> value != '',
            map(
                'prompt_version', prompt_version,
                'policy_version', policy_version,
                'route_config_version', route_config_version,
                'tool_contract_version', tool_contract_version
            )
        ),
        map()
    ),
    INDEX idx_trace_id trace_id TYPE bloom_filter GRANULARITY 4,
    INDEX idx_parent_run_id parent_run_id TYPE bloom_filter GRANULARITY 4
)
ENGINE = MergeTree
PARTITION BY toDate(timestamp)
ORDER BY (run_id, timestamp);

-- Whole lines land here and are not stored: the view below writes them to
-- agentlog.events, with every metadata key of a run.
CREATE TABLE IF NOT EXISTS agentlog.lines
(
    line String
)
ENGINE = Null;

CREATE MATERIALIZED VIEW IF NOT EXISTS agentlog.lines_to_events TO agentlog.events AS
SELECT
    parseDateTime64BestEffort(JSONExtractString(line, 'timestamp'), 6, 'UTC') AS timestamp,
    JSONExtractString(line, 'level') AS level,
    JSONExtractString(line, 'event') AS event,
    JSONExtractString(line, 'service') AS service,
    JSONExtractString(line, 'env') AS env,
    JSONExtractString(line, 'version') AS version,
    JSONExtractString(line, 'logger') AS logger,
    JSONExtractString(line, 'run_id') AS run_id,
    JSONExtractString(line, 'parent_run_id') AS parent_run_id,
    JSONExtractString(line, 'trace_id') AS trace_id,
    JSONExtractString(line, 'span_id') AS span_id,
    JSONExtractString(line, 'parent_span_id') AS parent_span_id,
    JSONExtract(line, 'step_id', 'Nullable(UInt32)') AS step_id,
    JSONExtractString(line, 'step_type') AS step_type,
    JSONExtractString(line, 'tool_call_id') AS tool_call_id,
    JSONExtractString(line, 'tool') AS tool,
    JSONExtractString(line, 'session_id') AS session_id,
    JSONExtractString(line, 'request_id') AS request_id,
    JSONExtractString(line, 'user_id') AS user_id,
    JSONExtractString(line, 'status') AS status,
    JSONExtractString(line, 'stop_reason') AS stop_reason,
    JSONExtract(line, 'latency_ms', 'Nullable(Float64)') AS latency_ms,
    JSONExtract(line, 'total_latency_ms', 'Nullable(Float64)') AS total_latency_ms,
    JSONExtractString(line, 'model') AS model,
    JSONExtractString(line, 'provider') AS provider,
    JSONExtract(line, 'temperature', 'Nullable(Float64)') AS temperature,
    JSONExtract(line, 'max_tokens', 'Nullable(UInt64)') AS max_tokens,
    JSONExtract(line, 'top_p', 'Nullable(Float64)') AS top_p,
    JSONExtract(line, 'seed', 'Nullable(Int64)') AS seed,
    JSONExtract(line, 'input_tokens', 'Nullable(UInt64)') AS input_tokens,
    JSONExtract(line, 'output_tokens', 'Nullable(UInt64)') AS output_tokens,
    JSONExtract(line, 'cache_read_input_tokens', 'Nullable(UInt64)') AS cache_read_input_tokens,
    JSONExtract(line, 'cache_creation_input_tokens', 'Nullable(UInt64)') AS cache_creation_input_tokens,
    JSONExtract(line, 'reasoning_output_tokens', 'Nullable(UInt64)') AS reasoning_output_tokens,
    JSONExtract(line, 'cost_usd', 'Nullable(Decimal(38, 18))') AS cost_usd,
    JSONExtractString(line, 'price_source') AS price_source,
    JSONExtractString(line, 'price_version') AS price_version,
    JSONExtract(line, 'child_cost_usd', 'Nullable(Decimal(38, 18))') AS child_cost_usd,
    JSONExtract(line, 'unpriced_llm_calls', 'Nullable(UInt32)') AS unpriced_llm_calls,
    JSONExtractString(line, 'finish_reason') AS finish_reason,
    JSONExtract(line, 'total_steps', 'Nullable(UInt32)') AS total_steps,
    JSONExtract(line, 'tool_calls', 'Nullable(UInt32)') AS tool_calls,
    JSONExtract(line, 'llm_calls', 'Nullable(UInt32)') AS llm_calls,
    JSONExtract(line, 'errors', 'Nullable(UInt32)') AS errors,
    JSONExtractString(line, 'task_hash') AS task_hash,
    JSONExtractString(line, 'args_hash') AS args_hash,
    JSONExtractString(line, 'result_hash') AS result_hash,
    JSONExtractString(line, 'kind') AS kind,
    JSONExtractString(line, 'outcome') AS outcome,
    JSONExtractString(line, 'reason') AS reason,
    JSONExtractString(line, 'error_class') AS error_class,
    JSONExtractString(line, 'error_message') AS error_message,
    JSONExtractString(line, 'error_stack') AS error_stack,
    run_metadata['prompt_version'] AS prompt_version,
    run_metadata['policy_version'] AS policy_version,
    run_metadata['route_config_version'] AS route_config_version,
    run_metadata['tool_contract_version'] AS tool_contract_version,
    -- Top-level keys that are not agentlog's own, then those kept under
    -- "metadata" (names that clash with agentlog's). A top-level key wins.
    if(
        JSONExtractString(line, 'event') = 'run_started',
        mapUpdate(
            mapFromArrays(
                arrayMap(field -> field.1, nested_fields),
                arrayMap(field -> if(JSONType(field.2) = 'String', JSONExtractString(field.2), field.2), nested_fields)
            ),
            mapFromArrays(
                arrayMap(field -> field.1, top_fields),
                arrayMap(field -> if(JSONType(field.2) = 'String', JSONExtractString(field.2), field.2), top_fields)
            )
        ),
        map()
    ) AS run_metadata
FROM
(
    SELECT
        line,
        arrayFilter(
            field -> field.1 NOT IN (
                'timestamp', 'level', 'event', 'logger', 'service', 'env', 'version',
                'run_id', 'trace_id', 'span_id', 'parent_run_id', 'parent_span_id', 'step_id',
                'tool_call_id', 'session_id', 'request_id', 'user_id',
                'task', 'task_hash', 'task_size', 'task_truncated',
                'extra', 'metadata', 'invalid', 'processor_error', 'fields_dropped', 'free_form'
            ) AND JSONType(field.2) NOT IN ('Object', 'Array', 'Null'),
            JSONExtractKeysAndValuesRaw(line)
        ) AS top_fields,
        arrayFilter(
            field -> JSONType(field.2) NOT IN ('Object', 'Array', 'Null'),
            JSONExtractKeysAndValuesRaw(line, 'metadata')
        ) AS nested_fields
    FROM agentlog.lines
);

-- One row per run that started at or after `since` (its run_started line),
-- as the explorer's stats, slo and compare see it:
--   SELECT * FROM agentlog.runs(since = '2026-01-01 00:00:00')
-- Unfinished runs (no run_finished line) are runs too: finished = 0, no
-- latency. Their counts are those their lines prove. cost_usd is the run's
-- own: the sum of its own llm_result lines' costs (never its children's, so
-- sums over runs count each call once), NULL when none of its calls was
-- priced. total_cost_usd is what its run_finished line says: its own cost and
-- that of its child runs in the same process.
--
-- metadata is what the run is grouped and filtered by: its own metadata
-- (own_metadata), and for each key it has no value of (missing or null) the
-- value of its nearest ancestor that has one, following parent_run_id through
-- every run in the table (ancestors that started before `since` included), at
-- most 64 generations up (a loop of parents ends the walk). So a child run a
-- prompt_version v8 run delegates to is a v8 run too: counted as a run of its
-- own, with its own cost.
CREATE VIEW IF NOT EXISTS agentlog.runs AS
WITH RECURSIVE
    -- One row per run and generation walked up: merged holds the run's own
    -- values over those of its ancestors so far (mapUpdate: the nearer wins).
    -- A loop of parents is caught as Brent's algorithm catches one: the walk
    -- stops on coming back to `mark`, the run it was at when its generation
    -- was last a power of two. One row per run on each side of the join, so
    -- that a log loaded twice does not double the rows at every generation.
    lineage AS
    (
        SELECT
            run_id,
            run_id AS mark,
            any(parent_run_id) AS next_run_id,
            0 AS generation,
            any(run_metadata) AS merged
        FROM agentlog.events
        WHERE timestamp >= {since:DateTime64(6, 'UTC')} AND event = 'run_started'
        GROUP BY run_id
        UNION ALL
        SELECT
            lineage.run_id,
            if(bitAnd(lineage.generation + 1, lineage.generation) = 0, ancestor.run_id, lineage.mark),
            ancestor.ancestor_parent_run_id,
            lineage.generation + 1,
            mapUpdate(ancestor.ancestor_metadata, lineage.merged)
        FROM lineage
        INNER JOIN
        (
            SELECT run_id, any(parent_run_id) AS ancestor_parent_run_id, any(run_metadata) AS ancestor_metadata
            FROM agentlog.events
            WHERE event = 'run_started'
            GROUP BY run_id
        ) AS ancestor ON ancestor.run_id = lineage.next_run_id
        WHERE lineage.next_run_id != '' AND lineage.next_run_id != lineage.mark AND lineage.generation < 64
    )
SELECT
    run.run_id AS run_id,
    started,
    run_parent_run_id AS parent_run_id,
    run_user_id AS user_id,
    run_session_id AS session_id,
    run_service AS service,
    inherited.inherited_metadata AS metadata,
    own_metadata,
    finished,
    run_status AS status,
    run_stop_reason AS stop_reason,
    run_latency_ms AS latency_ms,
    if(finished, finished_steps, seen_steps) AS steps,
    if(finished, finished_errors, seen_errors) AS errors,
    if(finished, finished_tool_calls, seen_tool_calls) AS tool_calls,
    if(finished, finished_llm_calls, seen_llm_calls) AS llm_calls,
    if(finished, finished_input_tokens, seen_input_tokens) AS input_tokens,
    if(finished, finished_output_tokens, seen_output_tokens) AS output_tokens,
    priced_calls,
    unpriced_calls AS unpriced_llm_calls,
    if(priced_calls > 0, own_cost_usd, NULL) AS cost_usd,
    total_cost_usd,
    tool_results,
    tool_errors,
    repeated_calls,
    tools,
    models
FROM
(
    -- Aliases here never reuse a column's name: in ClickHouse an alias
    -- shadows the column in every other expression of the SELECT.
    SELECT
        run_id,
        minIf(timestamp, event = 'run_started') AS started,
        anyIf(parent_run_id, event = 'run_started') AS run_parent_run_id,
        anyIf(user_id, event = 'run_started') AS run_user_id,
        anyIf(session_id, event = 'run_started') AS run_session_id,
        anyIf(service, event = 'run_started') AS run_service,
        anyIf(run_metadata, event = 'run_started') AS own_metadata,
        countIf(event = 'run_finished') > 0 AS finished,
        anyIf(status, event = 'run_finished') AS run_status,
        anyIf(stop_reason, event = 'run_finished') AS run_stop_reason,
        anyIf(total_latency_ms, event = 'run_finished') AS run_latency_ms,
        anyIf(total_steps, event = 'run_finished') AS finished_steps,
        uniqExactIf(step_id, event IN ('agent_step', 'step_finished')) AS seen_steps,
        anyIf(errors, event = 'run_finished') AS finished_errors,
        -- Failed calls, and failed steps whose exception no failed call inside them accounts for.
        uniqExactIf(tool_call_id, event = 'tool_result' AND status = 'error')
            + countIf(event = 'llm_result' AND status = 'error')
            + length(arrayFilter(
                failure -> NOT has(
                    groupUniqArrayIf((step_id, error_class), event IN ('tool_result', 'llm_result') AND status = 'error'),
                    failure
                ),
                groupUniqArrayIf((step_id, error_class), event = 'step_finished' AND status = 'error')
            )) AS seen_errors,
        anyIf(tool_calls, event = 'run_finished') AS finished_tool_calls,
        uniqExactIf(tool_call_id, event IN ('tool_call', 'tool_result')) AS seen_tool_calls,
        anyIf(llm_calls, event = 'run_finished') AS finished_llm_calls,
        uniqExactIf((span_id, timestamp), event = 'llm_result') AS seen_llm_calls,
        anyIf(input_tokens, event = 'run_finished') AS finished_input_tokens,
        sumIf(input_tokens, event = 'llm_result') AS seen_input_tokens,
        anyIf(output_tokens, event = 'run_finished') AS finished_output_tokens,
        sumIf(output_tokens, event = 'llm_result') AS seen_output_tokens,
        countIf(event = 'llm_result' AND cost_usd IS NOT NULL) AS priced_calls,
        countIf(event = 'llm_result' AND cost_usd IS NULL AND (input_tokens IS NOT NULL OR output_tokens IS NOT NULL))
            AS unpriced_calls,
        sumIf(cost_usd, event = 'llm_result') AS own_cost_usd,
        anyIf(cost_usd, event = 'run_finished') AS total_cost_usd,
        countIf(event = 'tool_result') AS tool_results,
        countIf(event = 'tool_result' AND status = 'error') AS tool_errors,
        -- Tool calls repeating an earlier call of the same tool with the same arguments.
        countIf(event = 'tool_call') - uniqExactIf((tool, args_hash), event = 'tool_call') AS repeated_calls,
        arraySort(groupUniqArrayIf(tool, event IN ('tool_call', 'tool_result') AND tool != '')) AS tools,
        arraySort(groupUniqArrayIf(model, event = 'llm_result' AND model != '')) AS models
    FROM agentlog.events
    WHERE timestamp >= {since:DateTime64(6, 'UTC')}
    GROUP BY run_id
    HAVING countIf(event = 'run_started') > 0
) AS run
LEFT JOIN
(
    -- The farthest generation walked has every generation's values merged.
    SELECT run_id, argMax(merged, generation) AS inherited_metadata
    FROM lineage
    GROUP BY run_id
) AS inherited ON inherited.run_id = run.run_id
ORDER BY started, run_id;

-- One row per run that started at or after `since`, and each tool or model it
-- called: the figures of those calls only (what --by tool and --by model
-- count per group).
--   SELECT * FROM agentlog.run_calls(since = '2026-01-01 00:00:00')
CREATE VIEW IF NOT EXISTS agentlog.run_calls AS
SELECT
    run_id,
    if(event = 'llm_result', 'model', 'tool') AS kind,
    if(event = 'llm_result', model, tool) AS name,
    count() AS calls,
    countIf(status = 'error') AS failed_calls,
    sum(ifNull(input_tokens, 0)) AS call_input_tokens,
    sum(ifNull(output_tokens, 0)) AS call_output_tokens,
    countIf(cost_usd IS NOT NULL) AS priced_calls,
    countIf(event = 'llm_result' AND cost_usd IS NULL AND (input_tokens IS NOT NULL OR output_tokens IS NOT NULL))
        AS unpriced_llm_calls,
    if(priced_calls > 0, sum(cost_usd), NULL) AS call_cost_usd,
    groupArrayIf(latency_ms, latency_ms IS NOT NULL) AS latencies_ms
FROM agentlog.events
WHERE timestamp >= {since:DateTime64(6, 'UTC')}
  AND event IN ('tool_result', 'llm_result')
  AND run_id IN (
      SELECT run_id FROM agentlog.events
      WHERE timestamp >= {since:DateTime64(6, 'UTC')} AND event = 'run_started'
  )
GROUP BY run_id, kind, name;

-- One row per run that started at or after `since` and per group it falls in
-- by the key `by`, as `agentlog stats --by KEY` groups runs:
--   SELECT * FROM agentlog.run_groups(since = '2026-01-01 00:00:00', by = 'prompt_version')
-- `by` is user, session, service, model, tool, a metadata key, or '' (every
-- run in one group). A run without the user, session, service or metadata
-- key is in the group NULL, but a metadata key is read from agentlog.runs'
-- metadata: a child run without it takes its nearest ancestor's value. By
-- model (tool) a run is in the group of every model (tool) it called, and
-- the group's LLM (tool) call figures are that model's (tool's) calls only.
-- Its run figures (status, stop_reason, latency_ms, errors, repeated_calls)
-- are the run's.
CREATE VIEW IF NOT EXISTS agentlog.run_groups AS
SELECT
    member.value AS value,
    member.run_id AS run_id,
    any(member.run_started) AS started,
    any(member.run_finished) AS finished,
    any(member.run_status) AS status,
    any(member.run_stop_reason) AS stop_reason,
    any(member.run_latency_ms) AS latency_ms,
    any(member.run_errors) AS errors,
    any(member.run_repeated_calls) AS repeated_calls,
    sumIf(call.c_calls, call.c_kind = 'tool' AND ({by:String} != 'tool' OR call.c_name = member.value)) AS tool_calls,
    sumIf(call.c_failed, call.c_kind = 'tool' AND ({by:String} != 'tool' OR call.c_name = member.value)) AS tool_errors,
    sumIf(call.c_calls, call.c_kind = 'model' AND ({by:String} != 'model' OR call.c_name = member.value)) AS llm_calls,
    sumIf(call.c_failed, call.c_kind = 'model' AND ({by:String} != 'model' OR call.c_name = member.value)) AS llm_errors,
    sumIf(call.c_input_tokens, call.c_kind = 'model' AND ({by:String} != 'model' OR call.c_name = member.value))
        AS input_tokens,
    sumIf(call.c_output_tokens, call.c_kind = 'model' AND ({by:String} != 'model' OR call.c_name = member.value))
        AS output_tokens,
    sumIf(call.c_priced, call.c_kind = 'model' AND ({by:String} != 'model' OR call.c_name = member.value))
        AS priced_llm_calls,
    sumIf(call.c_unpriced, call.c_kind = 'model' AND ({by:String} != 'model' OR call.c_name = member.value))
        AS unpriced_llm_calls,
    if(
        priced_llm_calls > 0,
        sumIf(call.c_cost_usd, call.c_kind = 'model' AND ({by:String} != 'model' OR call.c_name = member.value)),
        NULL
    ) AS cost_usd
FROM
(
    SELECT
        run_id,
        started AS run_started,
        finished AS run_finished,
        status AS run_status,
        stop_reason AS run_stop_reason,
        latency_ms AS run_latency_ms,
        errors AS run_errors,
        repeated_calls AS run_repeated_calls,
        arrayJoin(multiIf(
            {by:String} = '', [CAST(NULL AS Nullable(String))],
            {by:String} IN ('user', 'user_id'), [nullIf(user_id, '')],
            {by:String} IN ('session', 'session_id'), [nullIf(session_id, '')],
            {by:String} = 'service', [nullIf(service, '')],
            {by:String} = 'model', CAST(models AS Array(Nullable(String))),
            {by:String} = 'tool', CAST(tools AS Array(Nullable(String))),
            [if(mapContains(metadata, {by:String}), metadata[{by:String}], NULL)]
        )) AS value
    FROM agentlog.runs(since = {since:DateTime64(6, 'UTC')})
) AS member
LEFT JOIN
(
    SELECT
        run_id,
        kind AS c_kind,
        name AS c_name,
        calls AS c_calls,
        failed_calls AS c_failed,
        call_input_tokens AS c_input_tokens,
        call_output_tokens AS c_output_tokens,
        priced_calls AS c_priced,
        unpriced_llm_calls AS c_unpriced,
        call_cost_usd AS c_cost_usd
    FROM agentlog.run_calls(since = {since:DateTime64(6, 'UTC')})
) AS call ON call.run_id = member.run_id
GROUP BY member.run_id, member.value;
