-- Brings an agentlog.events table made by an earlier schema.sql (before costs,
-- request parameters and run metadata) up to the current one, and drops the
-- views an earlier schema.sql made (they store nothing). Run it, then
-- schema.sql: its CREATE … IF NOT EXISTS statements leave the table as it is
-- and add agentlog.lines and the views as they are now. Running it again does
-- no harm.
--
--   clickhouse-client --multiquery < kits/clickhouse/upgrade.sql
--   clickhouse-client --multiquery < kits/clickhouse/schema.sql
--
-- Rows already stored read the new columns as their defaults (NULL or ''),
-- and their run_metadata has the version columns' values, that is none.

ALTER TABLE agentlog.events
    ADD COLUMN IF NOT EXISTS temperature Nullable(Float64) AFTER provider,
    ADD COLUMN IF NOT EXISTS max_tokens Nullable(UInt64) AFTER temperature,
    ADD COLUMN IF NOT EXISTS top_p Nullable(Float64) AFTER max_tokens,
    ADD COLUMN IF NOT EXISTS seed Nullable(Int64) AFTER top_p,
    ADD COLUMN IF NOT EXISTS cost_usd Nullable(Decimal(38, 18)) AFTER reasoning_output_tokens,
    ADD COLUMN IF NOT EXISTS price_source LowCardinality(String) DEFAULT '' AFTER cost_usd,
    ADD COLUMN IF NOT EXISTS price_version LowCardinality(String) DEFAULT '' AFTER price_source,
    ADD COLUMN IF NOT EXISTS child_cost_usd Nullable(Decimal(38, 18)) AFTER price_version,
    ADD COLUMN IF NOT EXISTS unpriced_llm_calls Nullable(UInt32) AFTER child_cost_usd,
    ADD COLUMN IF NOT EXISTS prompt_version LowCardinality(String) DEFAULT '' AFTER error_stack,
    ADD COLUMN IF NOT EXISTS policy_version LowCardinality(String) DEFAULT '' AFTER prompt_version,
    ADD COLUMN IF NOT EXISTS route_config_version LowCardinality(String) DEFAULT '' AFTER policy_version,
    ADD COLUMN IF NOT EXISTS tool_contract_version LowCardinality(String) DEFAULT '' AFTER route_config_version,
    ADD COLUMN IF NOT EXISTS run_metadata Map(String, String) DEFAULT if(
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
    ) AFTER tool_contract_version;

-- Views read at query time: made again by schema.sql, users of a view first.
DROP VIEW IF EXISTS agentlog.run_groups;
DROP VIEW IF EXISTS agentlog.run_calls;
DROP VIEW IF EXISTS agentlog.runs;
