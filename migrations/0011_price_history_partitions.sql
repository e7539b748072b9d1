-- 0011_price_history_partitions: integration.price_history, the largest and only ever-growing
-- price table, becomes a table partitioned by month (issue 15, part 5, "Scale"), so that old
-- history is removed by dropping a month's partition (`soleflip prices prune`) instead of a
-- DELETE that rewrites indexes and leaves the table to vacuum, and so that queries over a
-- period read only the months of that period.
--
-- On a fresh database and on an adopted one holding history rows alike: every row is kept, with
-- its id, values and recorded_at. The runner wraps the file in one transaction.
--
-- Decisions, and why:
--   * Partitioned by RANGE (recorded_at), one partition per calendar month in UTC, named
--     integration.price_history_YYYY_MM. A month is the unit `prices prune` drops; UTC so that
--     the bounds do not depend on the TimeZone setting of the session that created them (the
--     functions below run with timezone = UTC).
--   * The primary key becomes (id, recorded_at). PostgreSQL requires every unique constraint of
--     a partitioned table to contain the partition key. `id` stays unique in practice (every
--     writer takes gen_random_uuid()), but the database now only guarantees it per recorded_at.
--     Nothing references a history row by foreign key (legacy_price_migrations.price_history_id
--     deliberately has none), so no referencing key has to change.
--   * The foreign key to integration.price_sources stays, declared on the partitioned table
--     (PostgreSQL 12+ clones it onto every partition), ON DELETE CASCADE as before. Its cost:
--     deleting a price source probes each partition's (price_source_id, recorded_at) index, one
--     probe per partition; pruning keeps their number bounded. Keeping the key on the product's
--     price source (not on the history id) is also what lets the price tables be distributed
--     by product later (docs/prices-distributed.md).
--   * How partitions for new months come to exist, such that an insert never fails:
--       - integration.price_history_default, the DEFAULT partition, takes any row whose month
--         has no partition yet. An insert can therefore never fail for want of a partition,
--         whoever writes (the trigger, the legacy migration, a hand-written INSERT).
--       - integration.price_history_add_months(timestamptz[]) creates the partitions of the
--         months its arguments fall in, moving the rows of those months out of the default
--         partition into them. Writers that know their months call it before writing (the
--         legacy price migration does, for the months of the history it is about to write), so
--         their rows go straight to the right partition.
--       - integration.price_history_split_default() moves whatever is in the default partition
--         into month partitions (creating them). The history trigger calls it after its insert
--         when the default partition is not empty (the first change recorded in a new month);
--         `prices prune` calls it before it looks at the months. Inside the trigger a failure
--         to split (a lock not had within 2 s, a concurrent writer of the same new month) is a
--         warning, not an error: the rows stay in the default partition, safe, and the next
--         write or prune moves them. The split uses ATTACH PARTITION (SHARE UPDATE EXCLUSIVE
--         on the parent, so readers and writers of other months go on), not CREATE TABLE ...
--         PARTITION OF (ACCESS EXCLUSIVE on the parent).
--     The migration creates the months of the rows it moves in and the current month.
--   * Existing rows move in with one INSERT ... SELECT into the partitioned table (the
--     partitions exist beforehand, so nothing lands in the default partition); the primary
--     key, the index and the foreign key are built after the rows are in (one sort and one
--     validation query each, rather than per-row maintenance), then the old table is dropped.
--   * Indexes: (price_source_id, recorded_at) stays (a price source's history, and the index
--     the foreign key needs). (recorded_at) alone is dropped: the month bounds now do what it
--     did (a period's rows are its partitions), and every write paid for it.
--   * The partitions are not part of the verified catalog and not documented one by one (which
--     months exist depends on the data and the date); the catalog records the partitioned
--     table's partition key and its default partition instead (schema.sql).

-- ---------------------------------------------------------------------------------------
-- 1. the old table steps aside
-- ---------------------------------------------------------------------------------------
-- Its constraints and indexes are dropped first so that the new table can take their names;
-- nothing outside the table depends on them.
alter table integration.price_history rename to price_history_unpartitioned;
alter table integration.price_history_unpartitioned
    drop constraint price_history_pkey,
    drop constraint price_history_price_source_id_fkey,
    drop constraint chk_price_history_currency_valid;
drop index integration.idx_price_history_recorded;
drop index integration.idx_price_history_source_date;

-- ---------------------------------------------------------------------------------------
-- 2. the partitioned table and its default partition
-- ---------------------------------------------------------------------------------------
-- The columns in the old order (currency last, as migration 4 added it), so that every column
-- keeps its position.
create table integration.price_history (
    id               uuid          not null default gen_random_uuid(),
    price_source_id  uuid          not null,
    price_cents      integer       not null,
    in_stock         boolean,
    stock_quantity   integer,
    recorded_at      timestamptz   not null default now(),
    currency         varchar(3)    not null,
    constraint chk_price_history_currency_valid check (currency ~ '^[A-Z]{3}$')
) partition by range (recorded_at);

comment on table integration.price_history is
    'Every superseded observation of a price source (price, currency, stock, when observed), appended when it changes; the current one is the price_sources row. Partitioned by month of recorded_at (UTC), one partition price_history_YYYY_MM per month; prices prune drops whole months.';
comment on column integration.price_history.currency is
    'Currency of price_cents (ISO 4217), as the price source had it when this price was observed.';
comment on column integration.price_history.recorded_at is
    'When this observation was made (the price source''s last_updated, else its updated_at); the partition key: its month (UTC) names the partition the row is in.';

create table integration.price_history_default partition of integration.price_history default;
comment on table integration.price_history_default is
    'Rows of integration.price_history whose month has no partition yet; emptied into month partitions by integration.price_history_split_default() (the history trigger and prices prune call it).';

-- ---------------------------------------------------------------------------------------
-- 3. the functions that make months
-- ---------------------------------------------------------------------------------------
-- For each month (UTC) one of `observed` falls in and that has no partition: a table shaped
-- like the parent is created, the month's rows are moved into it from the default partition,
-- and it is attached (which adds the parent's indexes and foreign key to it, and checks that
-- its rows belong). A month is known by its partition's name; partitions are made only here.
-- Non-finite times (infinity) have no month: such rows stay in the default partition.
create function integration.price_history_add_months(observed timestamptz[])
returns integer
language plpgsql
set timezone to 'UTC'
as $$
declare
    month_start  timestamptz;
    month_end    timestamptz;
    part         text;
    created      integer := 0;
begin
    for month_start in
        select distinct date_trunc('month', o)
        from unnest(observed) o
        where isfinite(o)
        order by 1
    loop
        part := 'price_history_' || to_char(month_start, 'YYYY_MM');
        continue when to_regclass(format('integration.%I', part)) is not null;
        month_end := month_start + interval '1 month';
        execute format(
            'create table integration.%I (like integration.price_history including defaults including constraints)',
            part);
        execute format(
            'with moved as (delete from integration.price_history_default
                            where recorded_at >= %L and recorded_at < %L returning *)
             insert into integration.%I select * from moved',
            month_start, month_end, part);
        execute format(
            'alter table integration.price_history attach partition integration.%I for values from (%L) to (%L)',
            part, month_start, month_end);
        execute format(
            'comment on table integration.%I is %L', part,
            format('Rows of integration.price_history recorded in %s (UTC): one month''s partition, dropped whole by prices prune.',
                   to_char(month_start, 'YYYY-MM')));
        created := created + 1;
    end loop;
    return created;
end;
$$;
comment on function integration.price_history_add_months(timestamptz[]) is
    'Creates the month partitions (UTC) of integration.price_history that the given times fall in and that do not exist yet, moving those months'' rows out of the default partition; returns how many it created.';

-- Everything in the default partition, moved into month partitions. At most 2 s of waiting for
-- a lock: the history trigger calls this while its caller's update is still running.
create function integration.price_history_split_default()
returns integer
language plpgsql
set lock_timeout to '2s'
as $$
begin
    return integration.price_history_add_months(array(
        select distinct date_trunc('month', recorded_at, 'UTC')
        from integration.price_history_default));
end;
$$;
comment on function integration.price_history_split_default() is
    'Moves the rows of integration.price_history_default into their month partitions, creating those; returns how many partitions it created.';

-- ---------------------------------------------------------------------------------------
-- 4. the existing rows move in
-- ---------------------------------------------------------------------------------------
select integration.price_history_add_months(
    array(select distinct date_trunc('month', recorded_at, 'UTC')
          from integration.price_history_unpartitioned)
    || now());

insert into integration.price_history
    (id, price_source_id, price_cents, in_stock, stock_quantity, recorded_at, currency)
select id, price_source_id, price_cents, in_stock, stock_quantity, recorded_at, currency
from integration.price_history_unpartitioned;

drop table integration.price_history_unpartitioned;

alter table integration.price_history
    add constraint price_history_pkey primary key (id, recorded_at),
    add constraint price_history_price_source_id_fkey foreign key (price_source_id)
        references integration.price_sources (id) on delete cascade;
create index idx_price_history_source_date
    on integration.price_history (price_source_id, recorded_at);

-- ---------------------------------------------------------------------------------------
-- 5. the history trigger splits the default partition
-- ---------------------------------------------------------------------------------------
-- As migration 4's, plus: after appending, if any row went to the default partition (the first
-- change recorded in a month without a partition, or an old observation of a month pruned
-- before), the default partition is split into months. The check costs one look at a table
-- that is empty nearly always. A failed split is reported as a warning and undone alone (the
-- sub-block): the history rows stay, in the default partition, and the update goes on.
create or replace function integration.track_price_changes() returns trigger
language plpgsql
as $$
begin
    insert into integration.price_history
        (price_source_id, price_cents, currency, in_stock, stock_quantity, recorded_at)
    select o.id, o.price_cents, o.currency, o.in_stock, o.stock_quantity,
           coalesce(o.last_updated, o.updated_at)
    from old_rows o
    join integration.price_sources n on n.id = o.id
    where (n.price_cents, n.currency, n.in_stock, n.stock_quantity)
          is distinct from (o.price_cents, o.currency, o.in_stock, o.stock_quantity);
    if exists (select 1 from integration.price_history_default) then
        begin
            perform integration.price_history_split_default();
        exception when others then
            raise warning 'price history: rows left in the default partition (%: %)',
                sqlstate, sqlerrm;
        end;
    end if;
    return null;
end;
$$;
comment on function integration.track_price_changes() is
    'Trigger function: when updates change a price source''s price, currency or stock, appends the observation each replaced to integration.price_history (splitting its default partition into months when rows landed there).';
