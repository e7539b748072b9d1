-- 0008_imports: marketplace reports into the ledger (issue 14).
--
-- The importers (StockX seller reports, Alias sales exports, purchase lists) write thousands to
-- millions of rows in one transaction, set-based. This migration gives them what they need, on
-- a fresh database and on an adopted one alike (nothing is deleted):
--   1. an order's natural key: transactions.orders.order_number, unique per platform, so a
--      re-import (or the API sync) finds an order that is already there, whichever came first;
--   2. the import run behind each row: orders, fee lines and pairs written by an importer carry
--      their integration.import_batches id; a batch records its file, its counts and (in
--      import_records) one outcome per row;
--   3. inventory events written per statement instead of per row (transition tables), with an
--      optional per-row context (when, why, which order) that a bulk writer gives in a
--      temporary table, and a sequence number that orders the events of one instant;
--   4. the balance of imported orders checked once per batch, set-based, at commit: the
--      per-row check (migration 6) costs one query per order and per fee line, which for a
--      million-row report is minutes; other writes keep the per-row check.
--
-- Decisions, and why:
--   * order_number of adopted orders is filled from stockx_order_number, else external_id, but
--     only where that value is unique within its platform (the old system did not enforce
--     it): a duplicate keeps NULL rather than stopping the migration or picking a winner.
--   * Events: a statement-level trigger sees every changed pair at once; the context of the
--     transaction (soleflip.* settings, migration 6) still applies to all of them. When the
--     setting soleflip.event_rows is 'on', the temporary table pg_temp.inventory_event_rows
--     (inventory_id, occurred_at, reason, order_id) overrides it per pair: an import moves
--     a thousand pairs, each sold on its own day for its own order, in one statement.
--   * The batch check is a deferred constraint trigger on the batch row: inserts of orders and
--     fee lines that carry a batch id skip the per-row check (a WHEN clause, evaluated without
--     a function call), and the batch's trigger checks every order of the batch at commit,
--     once the batch is marked completed. A fee line's batch id is only that marker (its order
--     carries the foreign key).
--     Updates and deletes, and every write without a batch id, are checked per row as before.
--   * seq (an identity) breaks ties between events of the same instant (a pair shipped the
--     moment it was sold), so a pair's history reads in the order it was written.
--
-- How the file is meant to run (as the migrations before it): the runner wraps it in one
-- transaction; every name is schema-qualified; no extensions.

-- ---------------------------------------------------------------------------------------
-- 1. import batches and the natural key of an order
-- ---------------------------------------------------------------------------------------
alter table integration.import_batches
    add column file_name   text,
    add column file_sha256 varchar(64),
    add column summary     jsonb,
    add column dry_run     boolean not null default false;

alter table transactions.orders
    add column order_number    varchar(100),
    add column import_batch_id uuid,
    add constraint orders_import_batch_id_fkey foreign key (import_batch_id)
        references integration.import_batches (id) on delete restrict;

-- On a fee line the batch is a marker for the balance check (its order names the batch and
-- keeps the foreign key): no constraint, no index, nothing per row to check.
alter table transactions.order_fee_lines
    add column import_batch_id uuid;

alter table products.inventory
    add column import_batch_id uuid,
    add constraint inventory_import_batch_id_fkey foreign key (import_batch_id)
        references integration.import_batches (id) on delete restrict;

alter table transactions.orders disable trigger update_orders_updated_at;
update transactions.orders o
   set order_number = k.number
  from (select id, number,
               count(*) over (partition by platform_id, number) as uses
          from (select id, platform_id,
                       nullif(btrim(coalesce(stockx_order_number, external_id)), '') as number
                  from transactions.orders) n
         where number is not null) k
 where k.id = o.id and k.uses = 1;
alter table transactions.orders enable trigger update_orders_updated_at;

create unique index uq_orders_platform_order_number
    on transactions.orders (platform_id, order_number) where order_number is not null;
create index idx_orders_import_batch_id on transactions.orders (import_batch_id);
create index idx_inventory_import_batch_id on products.inventory (import_batch_id);
create index idx_import_batches_created_at on integration.import_batches (created_at);

-- ---------------------------------------------------------------------------------------
-- 2. events per statement, with an optional per-row context
-- ---------------------------------------------------------------------------------------
alter table products.inventory_events
    add column seq bigint generated always as identity;

drop trigger trigger_inventory_event_on_insert on products.inventory;
drop trigger trigger_inventory_event_on_move on products.inventory;
drop function products.record_inventory_event();

-- The events of one statement: `changed` holds (inventory_id, from_state, to_state) of every
-- pair created or moved; the per-row context table wins over the transaction's settings.
create function products.record_inventory_events() returns trigger
language plpgsql
as $$
declare
    pick text;
begin
    pick := case when current_setting('soleflip.event_rows', true) = 'on'
                 then 'left join pg_temp.inventory_event_rows c on c.inventory_id = ch.inventory_id'
                 else 'left join (select null::uuid as inventory_id, null::timestamptz as occurred_at,
                                         null::text as reason, null::uuid as order_id) c on false'
            end;
    execute format($q$
        insert into products.inventory_events
            (inventory_id, from_state, to_state, occurred_at, user_id, reason, order_id, listing_id)
        select ch.inventory_id, ch.from_state, ch.to_state,
               coalesce(c.occurred_at,
                        nullif(current_setting('soleflip.event_at', true), '')::timestamptz, now()),
               nullif(current_setting('soleflip.user_id', true), '')::uuid,
               coalesce(c.reason, nullif(current_setting('soleflip.reason', true), '')),
               coalesce(c.order_id, nullif(current_setting('soleflip.order_id', true), '')::uuid),
               nullif(current_setting('soleflip.listing_id', true), '')::uuid
        from (%s) ch
        %s
        order by ch.inventory_id
    $q$,
    case tg_op
        when 'INSERT' then
            'select n.id as inventory_id, null::products.inventory_status as from_state,
                    n.detailed_status as to_state from new_rows n'
        else
            'select n.id as inventory_id, o.detailed_status as from_state,
                    n.detailed_status as to_state
               from new_rows n join old_rows o on o.id = n.id
              where o.detailed_status is distinct from n.detailed_status'
    end,
    pick);
    return null;
end;
$$;

create trigger trigger_inventory_events_on_insert
    after insert on products.inventory
    referencing new table as new_rows
    for each statement execute function products.record_inventory_events();
create trigger trigger_inventory_events_on_update
    after update on products.inventory
    referencing old table as old_rows new table as new_rows
    for each statement execute function products.record_inventory_events();

-- The lifecycle trigger has nothing to do for a new pair written with its state and the
-- state's label (as importers write them): a WHEN clause spares the function call.
drop trigger trigger_enforce_inventory_lifecycle on products.inventory;
create trigger trigger_enforce_inventory_lifecycle_on_insert
    before insert on products.inventory
    for each row
    when (new.detailed_status is null or new.status is distinct from new.detailed_status::text)
    execute function products.enforce_inventory_lifecycle();
create trigger trigger_enforce_inventory_lifecycle
    before update of detailed_status on products.inventory
    for each row execute function products.enforce_inventory_lifecycle();

-- ---------------------------------------------------------------------------------------
-- 3. the balance of imported orders, per batch
-- ---------------------------------------------------------------------------------------
drop trigger trigger_order_balance on transactions.orders;
drop trigger trigger_order_fee_line_balance on transactions.order_fee_lines;

create constraint trigger trigger_order_balance
    after insert on transactions.orders
    deferrable initially deferred
    for each row when (new.import_batch_id is null)
    execute function transactions.check_order_balance_of_order();
create constraint trigger trigger_order_balance_on_update
    after update of sale_price, payout, currency on transactions.orders
    deferrable initially deferred
    for each row execute function transactions.check_order_balance_of_order();
create constraint trigger trigger_order_fee_line_balance
    after insert on transactions.order_fee_lines
    deferrable initially deferred
    for each row when (new.import_batch_id is null)
    execute function transactions.check_order_balance_of_fee_line();
create constraint trigger trigger_order_fee_line_balance_on_change
    after update or delete on transactions.order_fee_lines
    deferrable initially deferred
    for each row execute function transactions.check_order_balance_of_fee_line();

-- Every order of a batch, checked at once when the batch completes: the first order that does
-- not balance is named.
create function transactions.check_batch_balance() returns trigger
language plpgsql
as $$
declare
    bad record;
begin
    select o.id, o.sale_price, o.payout, o.currency, coalesce(f.fees, 0) as fees,
           coalesce(f.currencies, array[]::text[]) as currencies
      into bad
      from transactions.orders o
      left join (select l.order_id, sum(l.amount) as fees,
                        array_agg(distinct l.currency::text) as currencies
                   from transactions.order_fee_lines l
                  where l.import_batch_id = new.id
                  group by l.order_id) f on f.order_id = o.id
     where o.import_batch_id = new.id
       and o.payout is not null
       and (f.currencies <> array[o.currency::text]
            or o.sale_price - coalesce(f.fees, 0) <> o.payout)
     limit 1;
    if found then
        raise exception using
            errcode = 'check_violation',
            constraint = 'order_balance',
            message = case when bad.currencies <> array[bad.currency::text]
                then format('order %s: a fee line is not in the order''s currency %s',
                            bad.id, bad.currency)
                else format('order %s: sale price %s - fee lines %s = %s, but the payout is %s %s',
                            bad.id, bad.sale_price, bad.fees, bad.sale_price - bad.fees,
                            bad.payout, bad.currency)
            end;
    end if;
    return null;
end;
$$;

create constraint trigger trigger_batch_balance
    after update of status on integration.import_batches
    deferrable initially deferred
    for each row when (new.status = 'completed')
    execute function transactions.check_batch_balance();

-- ---------------------------------------------------------------------------------------
-- 4. comments
-- ---------------------------------------------------------------------------------------
comment on column transactions.orders.order_number is
    'The platform''s order number (StockX `NNNNNNNN-NNNNNNNN`, Alias ORDER_NUMBER): unique per platform, so an order imported twice, or by report and by API, is one order.';
comment on column transactions.orders.import_batch_id is
    'The import run that wrote the order (NULL: entered by hand or adopted); its balance is checked with the whole batch at commit.';
comment on column transactions.order_fee_lines.import_batch_id is
    'The import run that wrote the line (NULL otherwise).';
comment on column products.inventory.import_batch_id is
    'The import run that created the pair (a sale with no pair in stock to match: cost unknown), NULL otherwise.';
comment on column integration.import_batches.file_name is
    'The imported file''s name (without its directory).';
comment on column integration.import_batches.file_sha256 is
    'SHA-256 of the imported file''s bytes.';
comment on column integration.import_batches.summary is
    'The run''s report: rows read, imported, already present, rejected, and the sums of sale price, each fee kind and payout.';
comment on column integration.import_batches.dry_run is
    'Always false in the database: a dry run is rolled back with everything it wrote.';
comment on column products.inventory_events.seq is
    'Write order: breaks ties between events of the same instant.';
comment on function products.record_inventory_events() is
    'Trigger function (per statement): appends one event per pair created or moved, with the per-row context of pg_temp.inventory_event_rows when soleflip.event_rows is on, else the transaction''s soleflip.* settings.';
comment on function transactions.check_batch_balance() is
    'Constraint trigger function (deferred): checks the balance of every order of an import batch at once.';
