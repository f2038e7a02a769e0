-- Queries over agentlog.events. Each starts with "-- name: <name>", and ends
-- at the first semicolon after it (the only one in the query). Parameters
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
-- Per tool: calls, errors, error rate (to 4 places) and latency percentiles
-- (milliseconds), as `agentlog stats --json` gives them: nearest rank, the
-- value at index round(q * (n - 1)) of the sorted latencies, to 3 places.
SELECT
    tool,
    calls,
    errors,
    round(errors / calls, 4) AS error_rate,
    if(empty(latencies), NULL, round(latencies[toUInt64(roundBankers(0.5 * (length(latencies) - 1))) + 1], 3))
        AS p50_ms,
    if(empty(latencies), NULL, round(latencies[toUInt64(roundBankers(0.95 * (length(latencies) - 1))) + 1], 3))
        AS p95_ms,
    if(empty(latencies), NULL, round(latencies[toUInt64(roundBankers(0.99 * (length(latencies) - 1))) + 1], 3))
        AS p99_ms
FROM
(
    SELECT
        tool,
        count() AS calls,
        countIf(status = 'error') AS errors,
        arraySort(groupArrayIf(latency_ms, latency_ms IS NOT NULL)) AS latencies
    FROM agentlog.events
    WHERE event = 'tool_result'
    GROUP BY tool
)
ORDER BY calls DESC, tool;

-- name: stop_reasons
-- How runs end.
SELECT stop_reason, count() AS runs
FROM agentlog.events
WHERE event = 'run_finished'
GROUP BY stop_reason
ORDER BY runs DESC, stop_reason;

-- The queries below answer what `agentlog stats --by`, `slo` and `compare`
-- answer, with the same definitions and the same numbers (docs/explorer.md
-- defines each figure). They read the views of schema.sql (agentlog.runs,
-- agentlog.run_calls, agentlog.run_groups). Times are text: an RFC 3339 or
-- 'YYYY-MM-DD hh:mm:ss' time, or '' for no bound. `since` is the earliest run
-- start (included), `until` the latest (excluded). Rates are plain ratios,
-- costs are exact decimals (USD), latencies are milliseconds, percentiles by
-- nearest rank (index round(q * (n - 1)), half to even), to 3 places.

-- name: cost_per_run
-- The costliest runs started in [since, until): each run's own LLM calls,
-- tokens and cost (its children's not included, NULL when none of its calls
-- was priced), its calls that had tokens but no price, and the cost its
-- run_finished line reports with its child runs' included.
WITH
    parseDateTime64BestEffort(if({since:String} = '', '1970-01-01 00:00:00', {since:String}), 6, 'UTC') AS since_time,
    parseDateTime64BestEffort(if({until:String} = '', '2299-12-31 23:59:59', {until:String}), 6, 'UTC') AS until_time
SELECT
    run_id,
    parent_run_id,
    started,
    user_id,
    stop_reason,
    llm_calls,
    priced_calls,
    unpriced_llm_calls,
    input_tokens,
    output_tokens,
    cost_usd,
    total_cost_usd
FROM agentlog.runs(since = since_time)
WHERE started < until_time
ORDER BY cost_usd IS NULL, cost_usd DESC, started, run_id
LIMIT 100;

-- name: cost_per_user
-- Per user (NULL: runs without one), runs started in [since, until): runs,
-- LLM calls, tokens, cost and cost per run, calls with tokens but no price.
WITH
    parseDateTime64BestEffort(if({since:String} = '', '1970-01-01 00:00:00', {since:String}), 6, 'UTC') AS since_time,
    parseDateTime64BestEffort(if({until:String} = '', '2299-12-31 23:59:59', {until:String}), 6, 'UTC') AS until_time
SELECT
    value AS user_id,
    runs,
    llm_calls,
    priced_llm_calls,
    unpriced_llm_calls,
    input_tokens,
    output_tokens,
    cost_usd,
    toDecimal256(cost_usd, 40) / runs AS cost_per_run
FROM
(
    SELECT
        value,
        count() AS runs,
        sum(llm_calls) AS llm_calls,
        sum(priced_llm_calls) AS priced_llm_calls,
        sum(unpriced_llm_calls) AS unpriced_llm_calls,
        sum(input_tokens) AS input_tokens,
        sum(output_tokens) AS output_tokens,
        if(priced_llm_calls > 0, sum(cost_usd), NULL) AS cost_usd
    FROM agentlog.run_groups(since = since_time, by = 'user')
    WHERE started < until_time
    GROUP BY value
)
ORDER BY cost_usd IS NULL, cost_usd DESC, user_id IS NULL, user_id;

-- name: cost_per_model
-- Per model, runs started in [since, until): the runs that called it, its
-- calls, tokens and cost, and its calls that had tokens but no price (a model
-- the price table does not know).
WITH
    parseDateTime64BestEffort(if({since:String} = '', '1970-01-01 00:00:00', {since:String}), 6, 'UTC') AS since_time,
    parseDateTime64BestEffort(if({until:String} = '', '2299-12-31 23:59:59', {until:String}), 6, 'UTC') AS until_time
SELECT
    value AS model,
    runs,
    llm_calls AS calls,
    llm_errors AS errors,
    input_tokens,
    output_tokens,
    priced_llm_calls AS priced_calls,
    unpriced_llm_calls AS unpriced_calls,
    cost_usd
FROM
(
    SELECT
        value,
        count() AS runs,
        sum(llm_calls) AS llm_calls,
        sum(llm_errors) AS llm_errors,
        sum(input_tokens) AS input_tokens,
        sum(output_tokens) AS output_tokens,
        sum(priced_llm_calls) AS priced_llm_calls,
        sum(unpriced_llm_calls) AS unpriced_llm_calls,
        if(priced_llm_calls > 0, sum(cost_usd), NULL) AS cost_usd
    FROM agentlog.run_groups(since = since_time, by = 'model')
    WHERE started < until_time
    GROUP BY value
)
ORDER BY cost_usd IS NULL, cost_usd DESC, model;

-- name: cost_per_metadata
-- Per value of the metadata key `key` (prompt_version, policy_version …,
-- NULL: runs without it, nor an ancestor with it), runs started in
-- [since, until): runs, LLM calls, tokens, cost and cost per run, calls with
-- tokens but no price. A child run without the key is in its nearest
-- ancestor's group, with its own cost (agentlog.runs' metadata).
WITH
    parseDateTime64BestEffort(if({since:String} = '', '1970-01-01 00:00:00', {since:String}), 6, 'UTC') AS since_time,
    parseDateTime64BestEffort(if({until:String} = '', '2299-12-31 23:59:59', {until:String}), 6, 'UTC') AS until_time
SELECT
    value,
    runs,
    llm_calls,
    priced_llm_calls,
    unpriced_llm_calls,
    input_tokens,
    output_tokens,
    cost_usd,
    toDecimal256(cost_usd, 40) / runs AS cost_per_run
FROM
(
    SELECT
        value,
        count() AS runs,
        sum(llm_calls) AS llm_calls,
        sum(priced_llm_calls) AS priced_llm_calls,
        sum(unpriced_llm_calls) AS unpriced_llm_calls,
        sum(input_tokens) AS input_tokens,
        sum(output_tokens) AS output_tokens,
        if(priced_llm_calls > 0, sum(cost_usd), NULL) AS cost_usd
    FROM agentlog.run_groups(since = since_time, by = {key:String})
    WHERE started < until_time
    GROUP BY value
)
ORDER BY value IS NULL, value;

-- name: stats_by
-- Per group of the runs started in [since, until) by the key `by` (user,
-- session, service, model, tool, a metadata key, or '' for all runs in
-- one group), the figures of `agentlog stats --by KEY --json`, by the same names.
-- By a metadata key, a child run without it is in its nearest ancestor's group.
WITH
    parseDateTime64BestEffort(if({since:String} = '', '1970-01-01 00:00:00', {since:String}), 6, 'UTC') AS since_time,
    parseDateTime64BestEffort(if({until:String} = '', '2299-12-31 23:59:59', {until:String}), 6, 'UTC') AS until_time
SELECT
    value,
    runs,
    completed,
    completed / runs AS completion_rate,
    failed,
    unfinished,
    errors,
    tool_calls,
    tool_errors,
    if(tool_calls > 0, tool_errors / tool_calls, NULL) AS tool_error_rate,
    llm_calls,
    llm_errors,
    input_tokens,
    output_tokens,
    cost_usd,
    toDecimal256(cost_usd, 40) / runs AS cost_per_run,
    priced_llm_calls,
    unpriced_llm_calls,
    repeated_call_runs,
    repeated_call_runs / runs AS repeated_call_rate,
    -- Nearest rank: the value at index round(q * (n - 1)) of the sorted latencies.
    if(empty(latencies), NULL, round(latencies[toUInt64(roundBankers(0.5 * (length(latencies) - 1))) + 1], 3))
        AS latency_p50_ms,
    if(empty(latencies), NULL, round(latencies[toUInt64(roundBankers(0.95 * (length(latencies) - 1))) + 1], 3))
        AS latency_p95_ms,
    if(empty(latencies), NULL, round(latencies[toUInt64(roundBankers(0.99 * (length(latencies) - 1))) + 1], 3))
        AS latency_p99_ms
FROM
(
    SELECT
        value,
        count() AS runs,
        countIf(stop_reason = 'completed') AS completed,
        countIf(status = 'error') AS failed,
        countIf(NOT finished) AS unfinished,
        sum(errors) AS errors,
        sum(tool_calls) AS tool_calls,
        sum(tool_errors) AS tool_errors,
        sum(llm_calls) AS llm_calls,
        sum(llm_errors) AS llm_errors,
        sum(input_tokens) AS input_tokens,
        sum(output_tokens) AS output_tokens,
        sum(priced_llm_calls) AS priced_llm_calls,
        sum(unpriced_llm_calls) AS unpriced_llm_calls,
        if(priced_llm_calls > 0, sum(cost_usd), NULL) AS cost_usd,
        countIf(repeated_calls > 0) AS repeated_call_runs,
        arraySort(groupArrayIf(latency_ms, finished AND latency_ms IS NOT NULL)) AS latencies
    FROM agentlog.run_groups(since = since_time, by = {by:String})
    WHERE started < until_time
    GROUP BY value
)
ORDER BY value IS NULL, value;

-- The three slo_* queries measure one objective each, per group of runs by
-- the key `by` ('' for all runs in one group), as `agentlog slo … --json`
-- does (its "objectives" entries, by the same names). The runs measured
-- started in the window (end − window, end]: end is `until` ('' for the
-- newest run start in the table), `window` a duration (7d, 24h, 90m, or ''
-- for no window: every run started before `until`). Burn rate = bad fraction /
-- allowed bad fraction, error budget remaining = 1 − burn rate (negative when
-- overspent), both NULL when the target allows no bad event and there was
-- one. An objective with nothing to measure is not met.

-- name: slo_completion
-- At least `target_percent` (99.5) of runs stop completed. Unfinished runs
-- count, never as completed. Allowed bad fraction: 1 − target.
WITH
    (SELECT max(timestamp) FROM agentlog.events WHERE event = 'run_started') AS newest_start,
    if({until:String} = '', newest_start, parseDateTime64BestEffort(if({until:String} = '', '1970-01-01', {until:String}), 6, 'UTC'))
        AS window_end,
    if(
        {window:String} = '',
        toDateTime64('1970-01-01 00:00:00', 6, 'UTC'),
        window_end - toIntervalMicrosecond(toInt64(parseTimeDelta(if({window:String} = '', '0s', {window:String})) * 1000000))
    ) AS window_start,
    -- The target in exact units of 1e-12 %: the comparisons and ratios below
    -- are on whole numbers, as the explorer's are on exact fractions.
    toInt128(toDecimal128({target_percent:String}, 12) * 1000000000000) AS target_units,
    toInt128(100000000000000) AS whole,
    whole - target_units AS allowed_units,
    -- gcd(x, 0) is an error in ClickHouse. With nothing allowed, common is unused.
    gcd(whole, if(allowed_units = 0, whole, allowed_units)) AS common
SELECT
    value,
    'completion' AS objective,
    toFloat64(target_units) / toFloat64(whole) AS target,
    if(total > 0, good / total, NULL) AS actual,
    total > 0 AND good * whole >= total * target_units AS met,
    total = 0 AS no_data,
    total - good AS bad,
    total,
    if(total > 0, bad / total, NULL) AS bad_fraction,
    toFloat64(allowed_units) / toFloat64(whole) AS allowed_bad_fraction,
    multiIf(
        total = 0, NULL,
        allowed_units = 0, if(bad = 0, 0, NULL),
        toFloat64(bad * intDiv(whole, common)) / toFloat64(total * intDiv(allowed_units, common))
    ) AS burn_rate,
    multiIf(
        total = 0, NULL,
        allowed_units = 0, if(bad = 0, 1, NULL),
        toFloat64(total * intDiv(allowed_units, common) - bad * intDiv(whole, common))
            / toFloat64(total * intDiv(allowed_units, common))
    ) AS error_budget_remaining,
    total AS runs
FROM
(
    SELECT value, count() AS total, countIf(stop_reason = 'completed') AS good
    FROM agentlog.run_groups(since = window_start, by = {by:String})
    WHERE ({window:String} = '' OR (started > window_start AND started <= window_end))
      AND ({until:String} = '' OR started < window_end)
    GROUP BY value
)
ORDER BY value IS NULL, value;

-- name: slo_latency
-- The `quantile` (50, 95 or 99) percentile of the finished runs' latency is
-- at most `target_ms`. Bad: finished runs slower than target_ms. Allowed bad
-- fraction: 1 − quantile / 100.
WITH
    (SELECT max(timestamp) FROM agentlog.events WHERE event = 'run_started') AS newest_start,
    if({until:String} = '', newest_start, parseDateTime64BestEffort(if({until:String} = '', '1970-01-01', {until:String}), 6, 'UTC'))
        AS window_end,
    if(
        {window:String} = '',
        toDateTime64('1970-01-01 00:00:00', 6, 'UTC'),
        window_end - toIntervalMicrosecond(toInt64(parseTimeDelta(if({window:String} = '', '0s', {window:String})) * 1000000))
    ) AS window_start,
    toUInt8({quantile:UInt8}) AS quantile,
    toFloat64({target_ms:Float64}) AS target_ms
SELECT
    value,
    concat('latency_p', toString(quantile)) AS objective,
    target_ms AS target,
    if(total > 0, round(latencies[toUInt64(roundBankers(quantile / 100 * (total - 1))) + 1], 3), NULL) AS actual,
    actual IS NOT NULL AND actual <= target_ms AS met,
    total = 0 AS no_data,
    arrayCount(latency -> latency > target_ms, latencies) AS bad,
    total,
    if(total > 0, bad / total, NULL) AS bad_fraction,
    (100 - quantile) / 100 AS allowed_bad_fraction,
    if(total > 0, (bad * 100) / (total * (100 - quantile)), NULL) AS burn_rate,
    if(total > 0, (total * (100 - quantile) - bad * 100) / (total * (100 - quantile)), NULL) AS error_budget_remaining,
    runs
FROM
(
    SELECT
        value,
        count() AS runs,
        arraySort(groupArrayIf(latency_ms, finished AND latency_ms IS NOT NULL)) AS latencies,
        length(latencies) AS total
    FROM agentlog.run_groups(since = window_start, by = {by:String})
    WHERE ({window:String} = '' OR (started > window_start AND started <= window_end))
      AND ({until:String} = '' OR started < window_end)
    GROUP BY value
)
ORDER BY value IS NULL, value;

-- name: slo_error_rate
-- At most `target_percent` (1) of tool calls fail: tool_result lines with
-- status error, of all tool_result lines (by tool, that tool's). Allowed bad
-- fraction: the target.
WITH
    (SELECT max(timestamp) FROM agentlog.events WHERE event = 'run_started') AS newest_start,
    if({until:String} = '', newest_start, parseDateTime64BestEffort(if({until:String} = '', '1970-01-01', {until:String}), 6, 'UTC'))
        AS window_end,
    if(
        {window:String} = '',
        toDateTime64('1970-01-01 00:00:00', 6, 'UTC'),
        window_end - toIntervalMicrosecond(toInt64(parseTimeDelta(if({window:String} = '', '0s', {window:String})) * 1000000))
    ) AS window_start,
    toInt128(toDecimal128({target_percent:String}, 12) * 1000000000000) AS target_units,
    toInt128(100000000000000) AS whole,
    gcd(whole, if(target_units = 0, whole, target_units)) AS common
SELECT
    value,
    'error_rate' AS objective,
    toFloat64(target_units) / toFloat64(whole) AS target,
    if(total > 0, bad / total, NULL) AS actual,
    total > 0 AND bad * whole <= total * target_units AS met,
    total = 0 AS no_data,
    bad,
    total,
    if(total > 0, bad / total, NULL) AS bad_fraction,
    toFloat64(target_units) / toFloat64(whole) AS allowed_bad_fraction,
    multiIf(
        total = 0, NULL,
        target_units = 0, if(bad = 0, 0, NULL),
        toFloat64(bad * intDiv(whole, common)) / toFloat64(total * intDiv(target_units, common))
    ) AS burn_rate,
    multiIf(
        total = 0, NULL,
        target_units = 0, if(bad = 0, 1, NULL),
        toFloat64(total * intDiv(target_units, common) - bad * intDiv(whole, common))
            / toFloat64(total * intDiv(target_units, common))
    ) AS error_budget_remaining,
    runs
FROM
(
    SELECT value, count() AS runs, sum(tool_calls) AS total, sum(tool_errors) AS bad
    FROM agentlog.run_groups(since = window_start, by = {by:String})
    WHERE ({window:String} = '' OR (started > window_start AND started <= window_end))
      AND ({until:String} = '' OR started < window_end)
    GROUP BY value
)
ORDER BY value IS NULL, value;

-- name: compare
-- The runs with `by` = `a` against those with `by` = `b` (a metadata key such
-- as prompt_version, or user, session, service, model, tool), started in
-- [since, until): per group, the figures of stats_by and what `agentlog
-- compare --json` adds to its "groups": failed_rate, tokens_per_run, each
-- tool's calls, errors and error rate (most called first), each stop
-- reason's runs and share of runs (most first, "unfinished" for runs without
-- a run_finished line). The CLI also tests each difference for chance
-- (Fisher's exact test, Mann-Whitney U): these are the counts it tests.
WITH
    parseDateTime64BestEffort(if({since:String} = '', '1970-01-01 00:00:00', {since:String}), 6, 'UTC') AS since_time,
    parseDateTime64BestEffort(if({until:String} = '', '2299-12-31 23:59:59', {until:String}), 6, 'UTC') AS until_time,
    members AS
    (
        SELECT *
        FROM agentlog.run_groups(since = since_time, by = {by:String})
        WHERE started < until_time AND value IN ({a:String}, {b:String})
    ),
    figures AS
    (
        SELECT
            value,
            count() AS runs,
            countIf(stop_reason = 'completed') AS completed,
            countIf(status = 'error') AS failed,
            countIf(NOT finished) AS unfinished,
            sum(errors) AS errors,
            sum(tool_calls) AS tool_calls,
            sum(tool_errors) AS tool_errors,
            sum(llm_calls) AS llm_calls,
            sum(llm_errors) AS llm_errors,
            sum(input_tokens) AS input_tokens,
            sum(output_tokens) AS output_tokens,
            sum(priced_llm_calls) AS priced_llm_calls,
            sum(unpriced_llm_calls) AS unpriced_llm_calls,
            if(priced_llm_calls > 0, sum(cost_usd), NULL) AS cost_usd,
            countIf(repeated_calls > 0) AS repeated_call_runs,
            arraySort(groupArrayIf(latency_ms, finished AND latency_ms IS NOT NULL)) AS latencies
        FROM members
        GROUP BY value
    ),
    stop_reasons AS
    (
        SELECT
            value,
            CAST(
                arraySort(reason -> (-reason.2, reason.1), groupArray((stop_reason, runs))),
                'Array(Tuple(stop_reason String, runs Int64))'
            ) AS reasons
        FROM
        (
            SELECT
                value,
                multiIf(NOT finished, 'unfinished', stop_reason = '', 'unknown', stop_reason) AS stop_reason,
                toInt64(count()) AS runs
            FROM members
            GROUP BY value, stop_reason
        )
        GROUP BY value
    ),
    tools AS
    (
        -- The tools each group's runs called (by tool: the group's tool), with their results.
        SELECT
            value,
            CAST(
                arraySort(tool -> (-tool.2, tool.1), groupArray((tool, calls, errors))),
                'Array(Tuple(tool String, calls Int64, errors Int64))'
            ) AS tools
        FROM
        (
            SELECT
                called.value AS value,
                called.tool AS tool,
                toInt64(sum(ifNull(result.calls, 0))) AS calls,
                toInt64(sum(ifNull(result.errors, 0))) AS errors
            FROM
            (
                SELECT DISTINCT member.value AS value, member.run_id AS run_id, arrayJoin(run.tools) AS tool
                FROM members AS member
                INNER JOIN agentlog.runs(since = since_time) AS run ON run.run_id = member.run_id
                WHERE {by:String} != 'tool' OR tool = member.value
            ) AS called
            LEFT JOIN
            (
                SELECT run_id, name AS tool, sum(calls) AS calls, sum(failed_calls) AS errors
                FROM agentlog.run_calls(since = since_time)
                WHERE kind = 'tool'
                GROUP BY run_id, tool
            ) AS result ON result.run_id = called.run_id AND result.tool = called.tool
            GROUP BY called.value, called.tool
        )
        GROUP BY value
    )
SELECT
    value,
    runs,
    completed,
    completed / runs AS completion_rate,
    failed,
    failed / runs AS failed_rate,
    unfinished,
    errors,
    tool_calls,
    tool_errors,
    if(tool_calls > 0, tool_errors / tool_calls, NULL) AS tool_error_rate,
    llm_calls,
    llm_errors,
    input_tokens,
    output_tokens,
    (input_tokens + output_tokens) / runs AS tokens_per_run,
    cost_usd,
    toDecimal256(cost_usd, 40) / runs AS cost_per_run,
    priced_llm_calls,
    unpriced_llm_calls,
    repeated_call_runs,
    repeated_call_runs / runs AS repeated_call_rate,
    if(empty(latencies), NULL, round(latencies[toUInt64(roundBankers(0.5 * (length(latencies) - 1))) + 1], 3))
        AS latency_p50_ms,
    if(empty(latencies), NULL, round(latencies[toUInt64(roundBankers(0.95 * (length(latencies) - 1))) + 1], 3))
        AS latency_p95_ms,
    if(empty(latencies), NULL, round(latencies[toUInt64(roundBankers(0.99 * (length(latencies) - 1))) + 1], 3))
        AS latency_p99_ms,
    arrayMap(
        tool -> CAST(
            (tool.tool, tool.calls, tool.errors, if(tool.calls > 0, tool.errors / tool.calls, NULL)),
            'Tuple(tool String, calls Int64, errors Int64, error_rate Nullable(Float64))'
        ),
        tools.tools
    ) AS tools,
    arrayMap(
        reason -> CAST((reason.stop_reason, reason.runs, reason.runs / runs), 'Tuple(stop_reason String, runs Int64, share Float64)'),
        stop_reasons.reasons
    ) AS stop_reasons
FROM figures
LEFT JOIN stop_reasons USING (value)
LEFT JOIN tools USING (value)
ORDER BY value = {b:String};
