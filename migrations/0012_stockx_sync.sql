-- 0012_stockx_sync: what the StockX API sync (issue 16) keeps besides the data it brings.
--
--   1. integration.api_budgets: one row per rate-limited API, the shared budget of every
--      process that calls it. A caller reserves its next request with one statement that
--      locks the row, moves `next_slot` on by the minimum gap and counts the request in the
--      current 24-hour window; so two processes together never send faster than the limit,
--      and the daily count is the count of all of them. Just before sending, a caller also
--      claims the send (`last_sent`), so a request whose slot came late cannot end up closer
--      than the gap to the next one. The limits themselves are the
--      caller's (configurable, lifted in tests and benchmarks); the row keeps only the state.
--   2. integration.sync_checkpoints: one row per sync job (`stockx.prices`, `stockx.orders`,
--      ...): where the running job has got to (`cursor`, the job's own JSON), written in the
--      same transaction as the data of the step it describes, so that a job killed between two
--      steps resumes after the last committed one. A finished job keeps its row (status
--      `finished`, its last report) and the next run starts from the beginning.
--
-- Decisions, and why:
--   * The budget is a table row, not an advisory lock or a file: every process that reaches
--     the database shares it, whichever machine it runs on, and it survives restarts (the
--     daily window is StockX's, not the process's).
--   * A fixed 24-hour window starting at its first request, not a sliding one: it never lets
--     more than the daily limit through in any window that starts at a window start, and its
--     end (when requests resume) is one timestamp the sync can name.
--   * Credentials are not here: they are rows of system.config, encrypted by the application
--     with a key that is never stored in the database.
--
-- How the file is meant to run (as the migrations before it): the runner wraps it in one
-- transaction; every name is schema-qualified; no extensions.

create table integration.api_budgets (
    api           varchar(50)  not null,
    next_slot     timestamptz  not null default 'epoch',
    last_sent     timestamptz  not null default 'epoch',
    window_start  timestamptz  not null default 'epoch',
    window_count  integer      not null default 0,
    created_at    timestamptz  not null default now(),
    updated_at    timestamptz  not null default now(),
    constraint api_budgets_pkey primary key (api),
    constraint chk_api_budgets_count check (window_count >= 0)
);

create trigger update_api_budgets_updated_at before update on integration.api_budgets
    for each row execute function core.update_updated_at_column();

comment on table integration.api_budgets is
    'The shared request budget of a rate-limited API (one row per API): the earliest time of the next request and the count of the current 24-hour window, reserved by every process with one locking statement.';
comment on column integration.api_budgets.next_slot is
    'The earliest time the next request may be sent (the last reservation plus the minimum gap).';
comment on column integration.api_budgets.last_sent is
    'When the last request was actually sent: a request whose reserved slot came late (a busy machine) waits until the gap after it has passed too.';
comment on column integration.api_budgets.window_start is
    'Start of the current 24-hour window; requests resume at window_start + 24 h once the daily limit is spent.';
comment on column integration.api_budgets.window_count is
    'Requests reserved in the current window.';

create table integration.sync_checkpoints (
    job          varchar(100)  not null,
    status       varchar(10)   not null default 'running',
    cursor       jsonb         not null default '{}'::jsonb,
    report       jsonb,
    started_at   timestamptz   not null default now(),
    finished_at  timestamptz,
    created_at   timestamptz   not null default now(),
    updated_at   timestamptz   not null default now(),
    constraint sync_checkpoints_pkey primary key (job),
    constraint chk_sync_checkpoints_status check (status in ('running', 'finished')),
    constraint chk_sync_checkpoints_finished check ((status = 'finished') = (finished_at is not null))
);

create trigger update_sync_checkpoints_updated_at before update on integration.sync_checkpoints
    for each row execute function core.update_updated_at_column();

comment on table integration.sync_checkpoints is
    'Where each sync job has got to (its cursor, written with the data of the step it describes), so that a killed job resumes; a finished job keeps its last report.';
comment on column integration.sync_checkpoints.cursor is
    'The job''s own position (e.g. the last variant id done, the next page and the date filter).';
