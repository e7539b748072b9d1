-- 0009_awin_feeds: AWIN retail feeds keyed the way AWIN says they can be, and reference FX rates
-- (issue 15, first part).
--
-- The old system keyed integration.awin_products on aw_product_id, which AWIN documents as an
-- id that "could change over time": a product re-imported under a new aw_product_id became a
-- second row, and its price history started again. This migration, on a fresh database and on
-- an adopted one holding feed rows alike (no row is lost; see "duplicates"):
--   1. re-keys integration.awin_products on (merchant_id, merchant_product_id), the merchant's
--      own id; aw_product_id is kept as an ordinary, non-unique column;
--   2. stores the first valid GTIN of a row (ean, product_GTIN, upc: check digit validated)
--      padded to GTIN-14 in `gtin`, as text (a GTIN is an identifier: leading zeros matter),
--      next to the codes exactly as the feed gave them;
--   3. replaces the integer-cents prices with numeric prices read from the feed's decimal text
--      (search_price, store_price, rrp_price, delivery_cost), each in the row's currency, which
--      is now required; in_stock is required too (false when unknown);
--   4. records the import batch and time a row was last seen in a feed (last_seen_batch_id,
--      last_seen_at), so that a full feed can mark what it no longer carries as out of stock
--      (never deleted);
--   5. turns integration.awin_price_history into the record of real changes: one row per change
--      of price, currency, stock flag or stock quantity, with the values before and after and
--      the batch that brought it, written by a trigger whoever updates; an unchanged re-import
--      appends nothing;
--   6. adds core.fx_rates, reference exchange rates with their date and source (the ECB's
--      euro foreign exchange reference rates first), for converting retail and resale prices.
--
-- Decisions, and why:
--   * Duplicates. An adopted table may hold several rows of one (merchant_id,
--     merchant_product_id): the same offer under successive aw_product_ids. The newest
--     (last_updated, then feed_import_date, then updated_at) stays; the others are moved to
--     archive.integration_awin_products_superseded (created only when there are any) with
--     their rows as they were (the archive schema keeps data, never drops it), and their
--     price history is re-pointed to the row
--     that stays, so the offer keeps one continuous history.
--   * An adopted row without merchant_product_id takes its aw_product_id as that id: it is the
--     only identifier the row has. When a later feed names its real merchant_product_id, that
--     is a new row, and a full import marks the old one out of stock.
--   * Adopted GTINs are validated here as the importer validates them (a check digit that
--     fails leaves gtin NULL; the raw ean stays). The check lives in a pg_temp function, used
--     once: the application layer owns the rule (soleflip_domain::gtin).
--   * Prices are numeric(12,2), as the ledger's amounts: the feeds' currencies (EUR, CHF, GBP,
--     SEK, ...) have two minor units, and a price with more decimals is refused by the
--     importer rather than rounded. Adopted cents become the same amount (cents / 100).
--   * Feed text columns (names, links, colours, sizes, raw codes) become text: a feed row must
--     not fail on a long deep link. merchant_product_id stays varchar(100) (AWIN allows 50).
--   * History rows keep their adopted values: the old rows recorded the new price at a time;
--     they get their product, price in units and currency, and NULL for what the old system
--     did not keep (stock quantity, previous values, batch).
--   * core.fx_rates has no foreign key to core.currencies: the ECB publishes about thirty
--     currencies, more than SoleFlip prices in, and a rate for a currency nobody prices in
--     harms nothing. A rate is units of `currency` per one unit of `base_currency`.
--
-- How the file is meant to run (as the migrations before it): the runner wraps it in one
-- transaction; every name is schema-qualified; no extensions.

-- ---------------------------------------------------------------------------------------
-- 1. the old trigger goes (it names columns that change below)
-- ---------------------------------------------------------------------------------------
drop trigger awin_price_change_trigger on integration.awin_products;
drop function integration.track_awin_price_changes();

-- ---------------------------------------------------------------------------------------
-- 2. history rows point at the product row, not at aw_product_id
-- ---------------------------------------------------------------------------------------
-- The old foreign key goes first: it would cascade the deletion of a superseded row (step 3)
-- to the history re-pointed away from it.
alter table integration.awin_price_history
    drop constraint awin_price_history_awin_product_id_fkey,
    add column product_id uuid,
    add column batch_id uuid,
    add column price numeric(12,2),
    add column currency varchar(3),
    add column stock_quantity integer,
    add column previous_price numeric(12,2),
    add column previous_in_stock boolean,
    add column previous_stock_quantity integer;

update integration.awin_price_history h
   set product_id = p.id,
       price = h.price_cents / 100.0,
       currency = coalesce(upper(p.currency), 'EUR')
  from integration.awin_products p
 where p.awin_product_id = h.awin_product_id;

-- ---------------------------------------------------------------------------------------
-- 3. duplicates of the new key move to the archive
-- ---------------------------------------------------------------------------------------
update integration.awin_products
   set merchant_product_id = awin_product_id
 where merchant_product_id is null;

create temporary table awin_ranked on commit drop as
select id,
       first_value(id) over w as survivor_id,
       row_number() over w as rank
from integration.awin_products
window w as (partition by merchant_id, merchant_product_id
             order by last_updated desc nulls last, feed_import_date desc nulls last,
                      updated_at desc, id);

update integration.awin_price_history h
   set product_id = r.survivor_id
  from awin_ranked r
 where r.id = h.product_id and r.rank > 1;

-- Only a database that has duplicates gets the archive table (a fresh one has nothing to keep).
do $$
begin
    if exists (select 1 from awin_ranked where rank > 1) then
        create table archive.integration_awin_products_superseded
            (like integration.awin_products including defaults);
        -- Like every table with updated_at, its rows keep it current (the promise of migration 2).
        create trigger update_awin_products_superseded_updated_at
            before update on archive.integration_awin_products_superseded
            for each row execute function core.update_updated_at_column();
        comment on table archive.integration_awin_products_superseded is
            'Adopted integration.awin_products rows superseded by a newer row of the same (merchant_id, merchant_product_id) when migration 9 re-keyed the table; kept as they were.';
        insert into archive.integration_awin_products_superseded
        select p.* from integration.awin_products p
        join awin_ranked r on r.id = p.id and r.rank > 1;
    end if;
end;
$$;

delete from integration.awin_products p
 using awin_ranked r
 where r.id = p.id and r.rank > 1;

-- ---------------------------------------------------------------------------------------
-- 4. integration.awin_products: key, GTIN, prices, stock, last seen
-- ---------------------------------------------------------------------------------------
-- GS1 Mod-10 over the code padded to 14 digits: odd positions (from the left) weigh 3.
create function pg_temp.gtin14(p_code text) returns varchar(14)
language sql immutable strict
as $$
    select case when g is not null and g <> '00000000000000'
                 and (10 - (select sum(substr(g, i, 1)::int * case when i % 2 = 1 then 3 else 1 end)
                            from generate_series(1, 13) as i) % 10) % 10 = substr(g, 14, 1)::int
                then g end
    from (select case when btrim(p_code) ~ '^([0-9]{8}|[0-9]{12,14})$'
                      then lpad(btrim(p_code), 14, '0') end as g) as padded
$$;

drop index integration.idx_awin_ean;
drop index integration.idx_awin_ean_in_stock;
-- a left prefix of the new key's index
drop index integration.idx_awin_merchant;
-- Indexes nothing reads (the old enrichment job's filters; a boolean), each of which a feed
-- merge of a million offers would otherwise maintain.
drop index integration.idx_awin_in_stock;
drop index integration.idx_awin_last_updated;
drop index integration.idx_awin_profit;
drop index integration.idx_awin_enrichment_status;

alter table integration.awin_products
    drop constraint awin_products_awin_product_id_key,
    alter column awin_product_id drop not null,
    alter column merchant_product_id set not null,
    alter column product_name type text,
    alter column merchant_name type text,
    alter column brand_name type text,
    alter column ean type text,
    alter column product_gtin type text,
    alter column mpn type text,
    alter column product_model type text,
    alter column colour type text,
    alter column size type text,
    alter column material type text,
    alter column delivery_time type text,
    alter column image_url type text,
    alter column thumbnail_url type text,
    alter column affiliate_link type text,
    alter column merchant_link type text,
    add column upc text,
    add column gtin varchar(14),
    add column parent_product_id text,
    add column search_price numeric(12,2),
    add column store_price numeric(12,2),
    add column rrp_price numeric(12,2),
    add column delivery_cost numeric(12,2),
    add column last_seen_batch_id uuid,
    add column last_seen_at timestamptz;

update integration.awin_products
   set gtin = coalesce(pg_temp.gtin14(ean), pg_temp.gtin14(product_gtin)),
       search_price = retail_price_cents / 100.0,
       store_price = store_price_cents / 100.0,
       rrp_price = rrp_price_cents / 100.0,
       currency = coalesce(upper(currency), 'EUR'),
       in_stock = coalesce(in_stock, false),
       last_seen_at = coalesce(last_updated, feed_import_date, updated_at);

alter table integration.awin_products
    drop column retail_price_cents,
    drop column store_price_cents,
    drop column rrp_price_cents,
    alter column currency set not null,
    alter column in_stock set not null,
    add constraint awin_products_merchant_key unique (merchant_id, merchant_product_id),
    add constraint chk_awin_products_gtin check (gtin ~ '^[0-9]{14}$'),
    add constraint chk_awin_products_currency check (currency ~ '^[A-Z]{3}$'),
    add constraint chk_awin_products_prices check (
        search_price >= 0 and store_price >= 0 and rrp_price >= 0 and delivery_cost >= 0);

-- Every import updates every offer it carries (when it was last seen). Half of each page is
-- left free so that such an update, which changes no indexed column, stays on its page (a HOT
-- update: no index entry written); the dead versions are pruned as the page is next updated.
-- For the same reason last_seen_batch_id has no foreign key (the key would want an index, and
-- the index an entry per update); batches are never deleted.
alter table integration.awin_products set (fillfactor = 50);

create index idx_awin_products_gtin on integration.awin_products (gtin);

comment on table integration.awin_products is
    'Offers from AWIN retail feeds, one per (merchant_id, merchant_product_id): identifiers as text, the first valid GTIN as GTIN-14, prices in the row''s currency, stock, links, when last seen, and the catalog/StockX match.';
comment on column integration.awin_products.awin_product_id is
    'AWIN''s own product id as last seen; AWIN says it can change over time, so it is not a key.';
comment on column integration.awin_products.merchant_product_id is
    'The merchant''s product id (text, leading zeros kept); with merchant_id the key of the offer. Adopted rows that had none carry their aw_product_id.';
comment on column integration.awin_products.ean is
    'The feed''s ean column exactly as given (may be invalid; see gtin).';
comment on column integration.awin_products.product_gtin is
    'The feed''s product_GTIN column exactly as given (may be invalid; see gtin).';
comment on column integration.awin_products.upc is
    'The feed''s upc column exactly as given (may be invalid; see gtin).';
comment on column integration.awin_products.gtin is
    'The first of ean, product_GTIN and upc whose check digit is valid, left-padded to 14 digits (GTIN-14); NULL when none is.';
comment on column integration.awin_products.search_price is
    'The current selling price (the feed''s search_price, or the enhanced feed''s sale price else price), in currency.';
comment on column integration.awin_products.store_price is
    'The feed''s store_price, in currency; its meaning varies by merchant.';
comment on column integration.awin_products.rrp_price is
    'The recommended retail price, in currency.';
comment on column integration.awin_products.delivery_cost is
    'The delivery cost of one order of this offer, in currency.';
comment on column integration.awin_products.currency is
    'ISO 4217 currency of every price of the row.';
comment on column integration.awin_products.in_stock is
    'Whether the offer can be bought: the feed''s in_stock (and is_for_sale); false once a full feed no longer carries it.';
comment on column integration.awin_products.parent_product_id is
    'The merchant''s id of the product a size variant belongs to (fashion feeds carry one row per size).';
comment on column integration.awin_products.last_seen_batch_id is
    'The import batch (integration.import_batches.id) that last carried this offer; no foreign key, so that marking an offer seen writes no index entry.';
comment on column integration.awin_products.last_seen_at is
    'When a feed last carried this offer.';

-- ---------------------------------------------------------------------------------------
-- 5. history: real changes only
-- ---------------------------------------------------------------------------------------
alter table integration.awin_price_history
    drop column awin_product_id,
    drop column price_cents,
    alter column product_id set not null,
    alter column currency set not null,
    add constraint awin_price_history_product_id_fkey foreign key (product_id)
        references integration.awin_products (id) on delete cascade,
    add constraint awin_price_history_batch_id_fkey foreign key (batch_id)
        references integration.import_batches (id) on delete set null,
    add constraint chk_awin_price_history_currency check (currency ~ '^[A-Z]{3}$');

create index idx_awin_price_history_product on integration.awin_price_history (product_id);
create index idx_awin_price_history_batch on integration.awin_price_history (batch_id);

-- A row trigger whose WHEN clause compares old and new values: the server evaluates it per row
-- without calling the function, so an import that re-sees a million unchanged offers fires
-- nothing, and one whose prices changed for 5 % of them appends exactly those rows. (A
-- statement trigger with a transition table would copy all million old rows first.) The batch
-- is a transaction-local setting the importer sets (soleflip.awin_batch_id, as migration 6's
-- soleflip.* settings): a product a full feed marks out of stock was last seen by an earlier
-- batch, but this batch changed it.
create function integration.track_awin_offer_changes() returns trigger
language plpgsql
as $$
begin
    insert into integration.awin_price_history
        (product_id, batch_id, price, currency, in_stock, stock_quantity,
         previous_price, previous_in_stock, previous_stock_quantity, recorded_at)
    values
        (new.id, nullif(current_setting('soleflip.awin_batch_id', true), '')::uuid,
         new.search_price, new.currency, new.in_stock, new.stock_quantity,
         old.search_price, old.in_stock, old.stock_quantity, now());
    return null;
end;
$$;

create trigger awin_offer_change_trigger
    after update on integration.awin_products
    for each row
    when ((old.search_price, old.currency, old.in_stock, old.stock_quantity)
          is distinct from (new.search_price, new.currency, new.in_stock, new.stock_quantity))
    execute function integration.track_awin_offer_changes();

comment on function integration.track_awin_offer_changes() is
    'Trigger function: for each offer whose price, currency, stock flag or stock quantity an update changed, appends one integration.awin_price_history row with the values before and after.';
comment on table integration.awin_price_history is
    'One row per real change of an AWIN offer''s price, currency, stock flag or stock quantity: the new values, the previous ones, the batch that brought them and when (adopted rows: the new price only).';
comment on column integration.awin_price_history.price is
    'The offer''s search_price after the change, in currency.';
comment on column integration.awin_price_history.previous_price is
    'The search_price before the change (NULL on rows adopted from the old system).';
comment on column integration.awin_price_history.batch_id is
    'The import batch whose merge made the change (NULL for adopted rows and changes made outside an import).';

-- ---------------------------------------------------------------------------------------
-- 6. reference exchange rates
-- ---------------------------------------------------------------------------------------
create table core.fx_rates (
    source         varchar(20)    not null,
    rate_date      date           not null,
    base_currency  varchar(3)     not null default 'EUR',
    currency       varchar(3)     not null,
    rate           numeric(20,10) not null,
    imported_at    timestamptz    not null default now(),
    constraint fx_rates_pkey primary key (source, rate_date, base_currency, currency),
    constraint chk_fx_rates_base_currency check (base_currency ~ '^[A-Z]{3}$'),
    constraint chk_fx_rates_currency check (currency ~ '^[A-Z]{3}$'),
    constraint chk_fx_rates_rate check (rate > 0)
);
comment on table core.fx_rates is
    'Reference exchange rates with their date and source (ecb: the ECB euro foreign exchange reference rates): one unit of base_currency buys rate units of currency.';
comment on column core.fx_rates.source is
    'Who published the rate: ecb for the European Central Bank''s euro reference rates.';
comment on column core.fx_rates.rate_date is
    'The day the rate is the reference rate of (as published).';
comment on column core.fx_rates.rate is
    'Units of currency per one unit of base_currency, as published (no rounding).';
comment on column core.fx_rates.imported_at is
    'When SoleFlip stored (or last corrected) this rate.';
