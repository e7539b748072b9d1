-- 0004_unified_prices: integration.price_sources becomes the one place prices live.
--
-- The old document promised that price_sources would be the single source of truth and
-- "eliminate the duplicate price tables", but the old system kept writing
-- integration.market_prices and pricing.market_prices beside it. `soleflip prices
-- migrate-legacy` moves their rows into price_sources (docs/prices-mapping.md); this migration
-- gives it, and every later importer, what that needs:
--   1. the schema `archive`, where migrate-legacy --archive retires the two legacy tables;
--   2. core.currencies, the currencies a price may be in;
--   3. integration.price_history.currency, so that a recorded price keeps its currency;
--   4. the history trigger, set-based, recording every change of price, currency or stock;
--   5. integration.legacy_price_migrations, the record of what became of each legacy row.
--
-- How the file is meant to run (as the migrations before it): the runner wraps it in one
-- transaction; every name is schema-qualified; no extensions.

-- ---------------------------------------------------------------------------------------
-- 1. archive
-- ---------------------------------------------------------------------------------------
-- Retired tables are moved here with their rows, never dropped. Its relations are not part of
-- the catalog `db verify` compares (they are data kept for reference, not schema), and a table
-- retired here is expected to be absent from its original schema (catalog.rs, retired_tables).
create schema archive;
comment on schema archive is
    'Tables retired by SoleFlip, kept with their rows (never dropped), renamed <schema>_<table>; not part of the verified catalog.';

-- ---------------------------------------------------------------------------------------
-- 2. currencies
-- ---------------------------------------------------------------------------------------
-- A price in an unknown currency is refused, by the legacy migration and by the upsert path
-- alike, instead of being stored and summed with real ones. A table rather than a list in
-- code, so that accepting another currency is one insert. (Not a foreign key of
-- price_sources.currency: that would need one more index on the largest table, and an adopted
-- database holding an odd code could not be migrated.)
create table core.currencies (
    code  varchar(3)   not null,
    name  varchar(60)  not null,
    constraint currencies_pkey primary key (code),
    constraint chk_currencies_code check (code ~ '^[A-Z]{3}$')
);
comment on table core.currencies is
    'ISO 4217 currencies a price may be in (the markets and feeds SoleFlip reads); a price in any other currency is refused.';

-- The marketplaces' and feeds' currencies (DOMAIN.md sections 2, 5 and 9), and Europe's.
insert into core.currencies (code, name) values
    ('AUD', 'Australian dollar'),
    ('BGN', 'Bulgarian lev'),
    ('CAD', 'Canadian dollar'),
    ('CHF', 'Swiss franc'),
    ('CNY', 'Chinese yuan'),
    ('CZK', 'Czech koruna'),
    ('DKK', 'Danish krone'),
    ('EUR', 'Euro'),
    ('GBP', 'Pound sterling'),
    ('HKD', 'Hong Kong dollar'),
    ('HUF', 'Hungarian forint'),
    ('JPY', 'Japanese yen'),
    ('KRW', 'South Korean won'),
    ('MXN', 'Mexican peso'),
    ('NOK', 'Norwegian krone'),
    ('NZD', 'New Zealand dollar'),
    ('PLN', 'Polish zloty'),
    ('RON', 'Romanian leu'),
    ('SEK', 'Swedish krona'),
    ('SGD', 'Singapore dollar'),
    ('USD', 'United States dollar');

-- ---------------------------------------------------------------------------------------
-- 3. price_history.currency
-- ---------------------------------------------------------------------------------------
-- A recorded price without its currency is only meaningful while the source never changes
-- currency; legacy rows of one price source can differ in currency, and so can a feed over
-- time. Existing rows take their price source's currency (the only one they can have had).
alter table integration.price_history add column currency varchar(3);

update integration.price_history h
   set currency = ps.currency
  from integration.price_sources ps
 where ps.id = h.price_source_id;

alter table integration.price_history
    alter column currency set not null,
    add constraint chk_price_history_currency_valid check (currency ~ '^[A-Z]{3}$');

comment on column integration.price_history.currency is
    'Currency of price_cents (ISO 4217), as the price source had it when this price was observed.';

-- ---------------------------------------------------------------------------------------
-- 4. the history trigger
-- ---------------------------------------------------------------------------------------
-- What a history row is: one observation of a price source that is no longer its current one
-- (price, currency, stock, and when it was observed). The current observation is the
-- price_sources row itself; history plus the row is the whole series, and nothing is recorded
-- twice. This is what migration 3 and the legacy migration record for a price that lost to a
-- newer one, and now the trigger records the same: when an update changes the price, the
-- currency, in_stock or stock_quantity, the observation it replaces is appended, stamped with
-- when it was observed (its last_updated, else its updated_at). Migration 1's trigger appended
-- the new values at now() instead, so the value a row was created with was lost at its first
-- change, and it ignored stock_quantity and currency. An update that changes nothing of these
-- (an unchanged re-import, a new last_updated alone) appends nothing.
--
-- One statement-level trigger with transition tables instead of a row trigger: a bulk upsert of
-- a million prices appends its history with one insert ... select, not a million calls. The new
-- values are read from the table by primary key rather than from the second transition table:
-- PL/pgSQL keeps the plan of its first call, and a join of two transition tables planned when
-- they were empty (a nested loop) would cost rows x rows once they are not.
drop trigger price_change_trigger on integration.price_sources;

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
    return null;
end;
$$;

create trigger price_change_trigger
    after update on integration.price_sources
    referencing old table as old_rows
    for each statement execute function integration.track_price_changes();

comment on function integration.track_price_changes() is
    'Trigger function: when updates change a price source''s price, currency or stock, appends the observation each replaced to integration.price_history.';
comment on table integration.price_history is
    'Every superseded observation of a price source (price, currency, stock, when observed), appended when it changes; the current one is the price_sources row.';

-- ---------------------------------------------------------------------------------------
-- 5. the legacy migration's record
-- ---------------------------------------------------------------------------------------
-- One row per legacy price row that `prices migrate-legacy` moved: into which price source it
-- went, and whether it became that source's current observation ('migrated') or a history row
-- of it ('merged', losing to a newer observation of the same key). Rows it refused are not
-- recorded, so that a later run considers them again once their cause is fixed (a size row
-- added, say); rows recorded here are never considered again, which makes the migration
-- idempotent. No foreign keys, on purpose: the record outlives the price it names (a price
-- deleted later must not be resurrected by the next run), and the legacy tables may be moved
-- to `archive`.
create table integration.legacy_price_migrations (
    legacy_table      varchar(30)  not null,
    legacy_id         uuid         not null,
    outcome           varchar(10)  not null,
    price_source_id   uuid         not null,
    price_history_id  uuid,
    migrated_at       timestamptz  not null default now(),
    constraint legacy_price_migrations_pkey primary key (legacy_table, legacy_id),
    constraint chk_legacy_price_migrations_table
        check (legacy_table in ('integration.market_prices', 'pricing.market_prices')),
    constraint chk_legacy_price_migrations_outcome
        check ((outcome = 'migrated' and price_history_id is null)
               or (outcome = 'merged' and price_history_id is not null))
);
comment on table integration.legacy_price_migrations is
    'What became of each row of the legacy price tables moved by prices migrate-legacy: its price source, and whether it is that source''s current price (migrated) or one of its history rows (merged).';
