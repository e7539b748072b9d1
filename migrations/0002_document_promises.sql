-- 0002_document_promises: make the old system's document true on top of migration 1.
--
-- Migration 1 rebuilt the `consolidated_v1` database as the old system built it, defects
-- included, so that existing installs can be adopted. This migration keeps the promises that
-- database broke, on a fresh database and on an adopted one full of real rows alike:
--   1. updated_at is kept current on every UPDATE, by one shared trigger function;
--   2. every foreign key has an index led by its columns; the 14 redundant indexes are gone;
--   3. no json is left (all jsonb); GIN indexes on the JSONB columns queried by content;
--   4. integration.latest_prices is one row per (product, size, source), NULLs last;
--   5. the documented eight platforms exist, renamed in place;
--   6. the inventory analytics are real and live in the products schema;
--   7. price_sources.last_updated tolerates a source clock a few minutes ahead;
--   8. every table has a comment (the data dictionary is built from them).
--
-- How the file is meant to run (as migration 1): the runner wraps it in one transaction, so
-- there is no begin/commit here; every name is schema-qualified; no extensions.
--
-- Decisions, and why:
--   * update_updated_at_column() lives in `core`, the schema of the shared reference data,
--     which every other schema already depends on. The triggers are named
--     update_<table>_updated_at (update_products_updated_at and update_inventory_updated_at
--     as documented). They set updated_at to now(), the transaction's start, so every row
--     written by one transaction carries the same stamp. Nothing this migration writes
--     itself bumps updated_at, except the platform rows it renames: the triggers are created
--     after the data changes, so recomputed analytics are not mistaken for business edits.
--   * New foreign-key indexes are plain btree, named idx_<table>_<column>, one column each
--     (every uncovered foreign key here is a single column).
--   * GIN operator classes (jsonb_path_ops indexes only @>, @? and @@, and is smaller and
--     faster to build and search; jsonb_ops also indexes the key-existence operators ?, ?|
--     and ?&):
--       - integration.price_sources.metadata: jsonb_path_ops. A million-row table looked up
--         by containment (metadata @> '{"variant_id": ...}', a merchant id); size and build
--         time matter most here.
--       - products.inventory.external_ids: jsonb_path_ops. Items are found by a platform's
--         id (external_ids @> '{"stockx_listing_id": ...}'), containment only.
--       - products.products.enrichment_data: jsonb_ops. The question asked of it is which
--         enrichments a product has (enrichment_data ? 'stockx'), a key-existence lookup;
--         the catalog table is small, so the larger opclass costs little.
--   * json becomes jsonb with the plain cast, except that a \u0000 escape (which json
--     accepts and jsonb cannot store) is dropped from the string holding it instead of
--     aborting the migration of an adopted database; see pg_temp.json_to_jsonb below.
--   * integration.latest_prices keeps its columns, names and order (metadata is now jsonb).
--     Per (product_id, size_id, source_type) -- rows without a size form their own group --
--     it keeps the in-stock row with the latest last_updated, NULLs last; ties go to the
--     latest updated_at, then to the smallest id, so the answer never depends on plan order.
--   * Platforms are upserted by slug. WTN is renamed to Wethenew in place, keeping its id
--     and every row that refers to it; only if an adopted database already has a
--     `wethenew` row is WTN left as it is (two rows cannot share the slug, and merging them
--     would rewrite history). Klekt stays: integration.source_type_enum knows it.
--   * Inventory analytics (products.inventory_analytics holds the one definition):
--       - the sale of an item is its earliest transactions.transactions row (by
--         transaction_date, then created_at, then id) whose status is not cancelled,
--         canceled, refunded or returned (case-insensitive): a sale that did not stand does
--         not count;
--       - net proceeds = sale_price - platform_fee - shipping_cost of that sale;
--       - shelf_life_days = whole 24-hour days from purchase_date to the sale, or to now()
--         while unsold, never below 0 (a future purchase date gives 0); NULL without a
--         purchase date. For unsold items the stored value is as of the row's last write:
--         every write of the row recomputes it, as the old trigger did;
--       - roi_percentage = (net proceeds - purchase_price) / purchase_price * 100, rounded
--         to 2 places; NULL until sold, and NULL when the purchase price is unknown or 0
--         (a return on nothing invested is undefined);
--       - profit_per_shelf_day = (net proceeds - purchase_price) / max(shelf_life_days, 1),
--         so a same-day sale counts as one day; NULL until sold or without a purchase price
--         or date.
--     roi_percentage is widened from numeric(5,2) (max 999.99, a 10x ROI) to numeric(16,2)
--     and profit_per_shelf_day from numeric(10,2) to numeric(12,2): with every money column
--     at numeric(10,2), no values those columns can hold overflow them, so recording a sale
--     can never fail on its analytics. Raising a numeric's precision at the same scale
--     rewrites nothing.
--   * The last_updated check keeps its name (chk_last_updated_past) and accepts up to
--     5 minutes ahead of the server's now(): enough for a source's clock running fast or a
--     slow request, small enough to still catch a wrong time zone (an hour or more).
--
-- Speed (bench/migration2.sh: 1,000,000 price_sources and 100,000 inventory rows): each table
-- is rewritten at most once (one alter table per table with all its changes, the new check
-- validated during that same pass), redundant indexes are dropped before the rewrite so it
-- does not rebuild them, and new indexes are built after the data changes.

-- ---------------------------------------------------------------------------------------
-- 1. redundant indexes (dropped first, so the table rewrites below do not rebuild them)
--    Each one's columns stay covered by the index named after it.
-- ---------------------------------------------------------------------------------------
drop index analytics.idx_marketplace_data_item;          -- uq_marketplace_data_item_platform
drop index auth.idx_users_email;                         -- users_email_key
drop index auth.idx_users_username;                      -- users_username_key
drop index core.idx_supplier_accounts_supplier_id;       -- uq_supplier_account_email
drop index integration.idx_market_prices_product_id;     -- idx_market_prices_quickflip
drop index integration.idx_price_history_source;         -- idx_price_history_source_date
drop index integration.idx_price_sources_product_id;     -- idx_price_sources_product_source
drop index integration.idx_price_sources_source_type;    -- idx_price_sources_source_price_type
drop index platforms.idx_stockx_listings_stockx_id;      -- stockx_listings_stockx_listing_id_key
drop index products.idx_inventory_product_id;            -- idx_inventory_product_size_status
drop index products.idx_inventory_status;                -- idx_inventory_status_created_at
drop index products.idx_products_sku_lookup;             -- products_sku_key
drop index transactions.idx_stockx_orders_sold_at;       -- idx_orders_sold_at
drop index transactions.idx_transaction_date;            -- idx_transaction_date_status

-- ---------------------------------------------------------------------------------------
-- 2. what the type changes would trip over: the view reading price_sources.metadata, and the
--    old analytics trigger (replaced in section 6)
-- ---------------------------------------------------------------------------------------
drop view integration.latest_prices;
drop trigger trigger_calculate_inventory_analytics on products.inventory;
drop function public.calculate_inventory_analytics();

-- json -> jsonb for the column conversions below, dropped again at the end. The plain cast
-- fails on the escape \u0000, which json stores and jsonb cannot; such an escape (one not
-- itself escaped: preceded by an even number of backslashes) is removed from its string
-- instead. Rows without it, nearly all, take the plain cast. Not strict, so that the planner
-- inlines it into each alter table's rewrite instead of calling it per row.
create function pg_temp.json_to_jsonb(value json) returns jsonb
language sql immutable
as $$
    select case
        when strpos(value::text, '\u0000') = 0 then value::jsonb
        else regexp_replace(value::text, '(?<!\\)((?:\\\\)*)\\u0000', '\1', 'g')::jsonb
    end
$$;

-- ---------------------------------------------------------------------------------------
-- 3. column types: one alter table per table (one rewrite at most)
-- ---------------------------------------------------------------------------------------
alter table integration.price_sources
    drop constraint chk_last_updated_past,
    alter column metadata type jsonb using pg_temp.json_to_jsonb(metadata),
    add constraint chk_last_updated_past
        check (last_updated is null or last_updated <= now() + interval '5 minutes');

alter table integration.awin_products
    alter column alternate_images type jsonb using pg_temp.json_to_jsonb(alternate_images);

alter table integration.awin_enrichment_jobs
    alter column results_summary type jsonb using pg_temp.json_to_jsonb(results_summary);

alter table pricing.price_history
    alter column metadata type jsonb using pg_temp.json_to_jsonb(metadata);

alter table pricing.price_rules
    alter column condition_multipliers type jsonb using pg_temp.json_to_jsonb(condition_multipliers),
    alter column seasonal_adjustments type jsonb using pg_temp.json_to_jsonb(seasonal_adjustments);

alter table analytics.demand_patterns
    alter column pattern_metadata type jsonb using pg_temp.json_to_jsonb(pattern_metadata);

alter table analytics.sales_forecasts
    alter column feature_importance type jsonb using pg_temp.json_to_jsonb(feature_importance);

-- Same scale, higher precision: no rewrite, and idx_inventory_roi is kept as it is.
alter table products.inventory
    alter column roi_percentage type numeric(16,2),
    alter column profit_per_shelf_day type numeric(12,2);

drop function pg_temp.json_to_jsonb(json);

-- ---------------------------------------------------------------------------------------
-- 4. integration.latest_prices, per product, size and source
-- ---------------------------------------------------------------------------------------
create view integration.latest_prices as
select distinct on (ps.product_id, ps.size_id, ps.source_type)
    ps.id,
    ps.product_id,
    ps.size_id,
    ps.source_type,
    ps.source_product_id,
    ps.source_name,
    ps.price_type,
    ps.price_cents,
    ps.currency,
    ps.stock_quantity,
    ps.in_stock,
    ps.condition,
    ps.source_url,
    ps.affiliate_link,
    ps.supplier_id,
    ps.metadata,
    ps.last_updated,
    ps.created_at,
    ps.updated_at,
    p.name  as product_name,
    p.sku   as product_sku,
    p.ean   as product_ean,
    b.name  as brand_name,
    s.name  as supplier_name
from integration.price_sources ps
join products.products p on p.id = ps.product_id
left join core.brands b on b.id = p.brand_id
left join core.suppliers s on s.id = ps.supplier_id
where ps.in_stock = true
order by ps.product_id, ps.size_id, ps.source_type,
         ps.last_updated desc nulls last, ps.updated_at desc, ps.id;

-- ---------------------------------------------------------------------------------------
-- 5. platforms: the documented eight, by slug, existing rows renamed in place
-- ---------------------------------------------------------------------------------------
update core.platforms
   set name = 'Wethenew', slug = 'wethenew', updated_at = now()
 where slug = 'wtn'
   and not exists (select 1 from core.platforms w where w.slug = 'wethenew');

insert into core.platforms as p (name, slug) values
    ('StockX', 'stockx'),
    ('eBay', 'ebay'),
    ('Kleinanzeigen', 'kleinanzeigen'),
    ('Laced', 'laced'),
    ('GOAT', 'goat'),
    ('Alias', 'alias'),
    ('Restocks', 'restocks'),
    ('Wethenew', 'wethenew')
on conflict (slug) do update
    set name = excluded.name, updated_at = now()
    where p.name is distinct from excluded.name;

-- ---------------------------------------------------------------------------------------
-- 6. inventory analytics
-- ---------------------------------------------------------------------------------------

-- The one definition of an item's analytics (see the decisions above). A single SQL select
-- returning a table, so the planner inlines it wherever it is used in a from clause: the
-- set-based recompute below, and the triggers.
create function products.inventory_analytics(
    p_inventory_id uuid, p_purchase_date timestamptz, p_purchase_price numeric)
returns table (shelf_life_days integer, roi_percentage numeric, profit_per_shelf_day numeric)
language sql stable
as $$
    select d.days,
           case when p_purchase_price > 0
                then round((s.net_proceeds - p_purchase_price) / p_purchase_price * 100, 2)
           end,
           case when d.days is not null
                then round((s.net_proceeds - p_purchase_price) / greatest(d.days, 1), 2)
           end
    from (select) as one
    left join lateral (
        select t.transaction_date as sold_at,
               t.sale_price - t.platform_fee - t.shipping_cost as net_proceeds
        from transactions.transactions t
        where t.inventory_id = p_inventory_id
          and lower(t.status) not in ('cancelled', 'canceled', 'refunded', 'returned')
        order by t.transaction_date, t.created_at, t.id
        limit 1
    ) s on true
    cross join lateral (
        select greatest(floor(extract(epoch from coalesce(s.sold_at, now()) - p_purchase_date)
                              / 86400), 0)::integer as days
    ) d
$$;

-- Every existing row, set-based, before the triggers exist (so updated_at keeps meaning the
-- last business edit): placeholder ROIs become NULL or real, shelf lives count to the sale.
update products.inventory i
   set (shelf_life_days, roi_percentage, profit_per_shelf_day) =
       (select a.shelf_life_days, a.roi_percentage, a.profit_per_shelf_day
          from products.inventory_analytics(i.id, i.purchase_date, i.purchase_price) a);

-- The same trigger as before (name, events), now computing real values.
create function products.calculate_inventory_analytics() returns trigger
language plpgsql
as $$
begin
    select a.shelf_life_days, a.roi_percentage, a.profit_per_shelf_day
      into new.shelf_life_days, new.roi_percentage, new.profit_per_shelf_day
      from products.inventory_analytics(new.id, new.purchase_date, new.purchase_price) a;
    return new;
end;
$$;

create trigger trigger_calculate_inventory_analytics
    before insert or update on products.inventory
    for each row execute function products.calculate_inventory_analytics();

-- Recording, changing or removing a sale recomputes the item(s) it concerns. (OLD is NULL on
-- insert and NEW on delete, so the where clause names one or two items.)
create function products.refresh_inventory_analytics_after_sale() returns trigger
language plpgsql
as $$
begin
    update products.inventory i
       set (shelf_life_days, roi_percentage, profit_per_shelf_day) =
           (select a.shelf_life_days, a.roi_percentage, a.profit_per_shelf_day
              from products.inventory_analytics(i.id, i.purchase_date, i.purchase_price) a)
     where i.id = new.inventory_id or i.id = old.inventory_id;
    return null;
end;
$$;

create trigger trigger_sale_inventory_analytics
    after insert or delete
       or update of inventory_id, transaction_date, sale_price, platform_fee, shipping_cost, status
    on transactions.transactions
    for each row execute function products.refresh_inventory_analytics_after_sale();

-- ---------------------------------------------------------------------------------------
-- 7. new indexes, after the data changes
-- ---------------------------------------------------------------------------------------

-- every foreign key that had no index led by its columns
create index idx_demand_patterns_category_id on analytics.demand_patterns (category_id);
create index idx_pricing_kpis_category_id on analytics.pricing_kpis (category_id);
create index idx_pricing_kpis_platform_id on analytics.pricing_kpis (platform_id);
create index idx_pricing_kpis_product_id on analytics.pricing_kpis (product_id);
create index idx_sales_forecasts_category_id on analytics.sales_forecasts (category_id);
create index idx_sales_forecasts_platform_id on analytics.sales_forecasts (platform_id);
create index idx_account_purchase_history_product_id
    on core.account_purchase_history (product_id);
create index idx_brand_patterns_brand_id on core.brand_patterns (brand_id);
create index idx_import_records_batch_id on integration.import_records (batch_id);
create index idx_brand_multipliers_brand_id on pricing.brand_multipliers (brand_id);
create index idx_price_history_inventory_item_id on pricing.price_history (inventory_item_id);
create index idx_price_history_platform_id on pricing.price_history (platform_id);
create index idx_price_rules_category_id on pricing.price_rules (category_id);
create index idx_price_rules_platform_id on pricing.price_rules (platform_id);
create index idx_inventory_size_id on products.inventory (size_id);
create index idx_inventory_supplier_id on products.inventory (supplier_id);
create index idx_sizes_category_id on products.sizes (category_id);
create index idx_transactions_platform_id on transactions.transactions (platform_id);

-- GIN on the JSONB columns queried by content (operator classes: see the decisions above)
create index idx_price_sources_metadata_gin
    on integration.price_sources using gin (metadata jsonb_path_ops);
create index idx_inventory_external_ids_gin
    on products.inventory using gin (external_ids jsonb_path_ops);
create index idx_products_enrichment_data_gin
    on products.products using gin (enrichment_data jsonb_ops);

-- ---------------------------------------------------------------------------------------
-- 8. updated_at, kept current on every update (after the data changes above, on purpose)
-- ---------------------------------------------------------------------------------------
create function core.update_updated_at_column() returns trigger
language plpgsql
as $$
begin
    new.updated_at := now();
    return new;
end;
$$;

create trigger update_marketplace_data_updated_at before update on analytics.marketplace_data
    for each row execute function core.update_updated_at_column();
create trigger update_users_updated_at before update on auth.users
    for each row execute function core.update_updated_at_column();
create trigger update_account_purchase_history_updated_at
    before update on core.account_purchase_history
    for each row execute function core.update_updated_at_column();
create trigger update_brand_patterns_updated_at before update on core.brand_patterns
    for each row execute function core.update_updated_at_column();
create trigger update_brands_updated_at before update on core.brands
    for each row execute function core.update_updated_at_column();
create trigger update_categories_updated_at before update on core.categories
    for each row execute function core.update_updated_at_column();
create trigger update_platforms_updated_at before update on core.platforms
    for each row execute function core.update_updated_at_column();
create trigger update_supplier_accounts_updated_at before update on core.supplier_accounts
    for each row execute function core.update_updated_at_column();
create trigger update_supplier_history_updated_at before update on core.supplier_history
    for each row execute function core.update_updated_at_column();
create trigger update_suppliers_updated_at before update on core.suppliers
    for each row execute function core.update_updated_at_column();
create trigger update_awin_enrichment_jobs_updated_at
    before update on integration.awin_enrichment_jobs
    for each row execute function core.update_updated_at_column();
create trigger update_awin_products_updated_at before update on integration.awin_products
    for each row execute function core.update_updated_at_column();
create trigger update_import_records_updated_at before update on integration.import_records
    for each row execute function core.update_updated_at_column();
create trigger update_price_sources_updated_at before update on integration.price_sources
    for each row execute function core.update_updated_at_column();
create trigger update_stockx_listings_updated_at before update on platforms.stockx_listings
    for each row execute function core.update_updated_at_column();
create trigger update_stockx_orders_updated_at before update on platforms.stockx_orders
    for each row execute function core.update_updated_at_column();
create trigger update_brand_multipliers_updated_at before update on pricing.brand_multipliers
    for each row execute function core.update_updated_at_column();
create trigger update_price_rules_updated_at before update on pricing.price_rules
    for each row execute function core.update_updated_at_column();
create trigger update_inventory_updated_at before update on products.inventory
    for each row execute function core.update_updated_at_column();
create trigger update_products_updated_at before update on products.products
    for each row execute function core.update_updated_at_column();
create trigger update_sizes_updated_at before update on products.sizes
    for each row execute function core.update_updated_at_column();
create trigger update_config_updated_at before update on system.config
    for each row execute function core.update_updated_at_column();
create trigger update_orders_updated_at before update on transactions.orders
    for each row execute function core.update_updated_at_column();
create trigger update_transactions_updated_at before update on transactions.transactions
    for each row execute function core.update_updated_at_column();

-- ---------------------------------------------------------------------------------------
-- 9. comments: what each table holds (the data dictionary is built from these), and the
--    column comments migration 1 kept although they were untrue
-- ---------------------------------------------------------------------------------------

-- analytics
comment on table analytics.demand_patterns is
    'Demand scores per product, brand or category and period (day, week, month), with velocity rank, seasonality, trend and volatility.';
comment on table analytics.forecast_accuracy is
    'How well each forecasting model did: MAPE, RMSE, MAE, R2 and bias per forecast run, level and horizon.';
comment on table analytics.marketplace_data is
    'Per inventory item and platform: our ask and bid, the market''s lowest ask, highest bid and last sale, fees and volatility.';
comment on table analytics.pricing_kpis is
    'Daily pricing KPIs per product, brand, category or platform: margins, markup, price realization, conversion, revenue impact.';
comment on table analytics.sales_forecasts is
    'Forecast units and revenue per product, brand, category or platform and date, with confidence bounds and the model that made them.';
comment on view analytics.brand_loyalty_analysis is
    'Per brand over all sales: months with a sale, number of sales, total and average sale price.';
comment on view analytics.brand_trend_analysis is
    'Per brand and calendar month: number of sales, revenue and average sale price.';

-- auth
comment on table auth.users is
    'People who may use SoleFlip: email, username, argon2id password hash (or a locked marker), role, active flag, last login.';

-- core
comment on table core.account_purchase_history is
    'Every purchase attempt made through a supplier account: amount, status, success or failure reason, response time.';
comment on table core.brand_patterns is
    'Patterns (e.g. regular expressions or keywords) that recognise a brand in product names, by priority.';
comment on table core.brands is
    'Brands of the products sold (Nike, Adidas, ...), with a unique slug.';
comment on table core.categories is
    'Product categories (sneakers, ...), with a unique slug.';
comment on table core.platforms is
    'Marketplaces where items are sold (StockX, eBay, Kleinanzeigen, Laced, GOAT, Alias, Restocks, Wethenew, Klekt), with a unique slug.';
comment on table core.supplier_accounts is
    'Our customer accounts at suppliers: login email, shipping address, tokenized payment method, usage and success statistics.';
comment on table core.supplier_history is
    'Dated events in a supplier''s history (founding, openings, closures, ...), with their impact.';
comment on table core.supplier_performance is
    'Monthly performance of each supplier: orders, average delivery time, return rate, average ROI.';
comment on table core.suppliers is
    'Shops and people we buy from: contact details, terms, return policy, ratings, order statistics.';

-- integration
comment on table integration.awin_enrichment_jobs is
    'Runs of the job that matches Awin feed products to catalog products and StockX data, with counts and a result summary.';
comment on table integration.awin_price_history is
    'Every change of an Awin product''s retail price (cents), appended by a trigger on integration.awin_products.';
comment on table integration.awin_products is
    'Products from Awin affiliate feeds: merchant, identifiers, prices in cents, stock, links, and the catalog/StockX match.';
comment on table integration.import_batches is
    'One row per import run (a file or an API pull): source, record count, status.';
comment on table integration.import_records is
    'Each record of an import batch: the source data, the processed data, validation errors and processing status.';
comment on table integration.market_prices is
    'Buy prices of catalog products at retail suppliers (for quick flips): supplier, price, availability, stock, link.';
comment on table integration.price_history is
    'Every change of a price source''s price or stock, appended by a trigger on integration.price_sources.';
comment on table integration.price_sources is
    'Current prices of catalog products (per size where known) from every source (StockX, Awin, eBay, GOAT, ...): type, cents, stock, links, source metadata.';
comment on view integration.latest_prices is
    'The in-stock price source updated last per product, size and source (NULL last_updated last; ties: latest updated_at, then smallest id), with product, brand and supplier names.';
comment on view integration.profit_opportunities_v2 is
    'Retail and dearer resale prices of the same product and standardized size, both in stock, with gross profit (no fees, shipping or VAT).';

-- platforms
comment on table platforms.pricing_history is
    'Every ask price change of a StockX listing, with the reason and the market at that moment.';
comment on table platforms.stockx_listings is
    'Our asks on StockX: product, variant, ask and buy price, expected profit, status, market snapshot.';
comment on table platforms.stockx_orders is
    'Sales of our StockX listings: sale price, fees, net proceeds, profit, margin, shipping and status.';

-- pricing
comment on table pricing.brand_multipliers is
    'Per-brand price multipliers by type, with the period they apply in.';
comment on table pricing.market_prices is
    'Daily market prices per product, platform, size and condition: lowest ask, highest bid, last sale, volume.';
comment on table pricing.price_history is
    'Dated prices of products and inventory items per platform and price type, with their source and confidence.';
comment on table pricing.price_rules is
    'Pricing rules by brand, category or platform: markup, minimum margin, maximum discount, condition and seasonal adjustments, validity.';

-- products
comment on table products.inventory is
    'Every pair in stock or sold: product, size, supplier, purchase price and date, status, listings, and analytics kept by triggers.';
comment on table products.products is
    'The product catalog: SKU, brand, category, name, prices, identifiers (EAN, GTIN, style code, StockX id) and enrichment data.';
comment on table products.sizes is
    'Sizes by region (EU, US, UK, ...) with a standardized value (EU) for matching across regions.';

-- system
comment on table system.config is
    'Configuration values by key, stored encrypted.';
comment on table system.logs is
    'Application log entries: level, component, message, details and the row concerned.';

-- transactions
comment on table transactions.orders is
    'Sales orders on all platforms: listing, platform, sale price, fees, payout, profit, shipping and status.';
comment on table transactions.transactions is
    'Sales of inventory items: platform, date, sale price, platform fee, shipping cost, net profit, status. A row here records the item''s sale.';

-- columns whose comment migration 1 kept as built, now true or corrected
comment on column integration.price_sources.metadata is
    'Source-specific data as JSONB (e.g. StockX variant details, Awin merchant info); GIN-indexed (jsonb_path_ops) for @> lookups.';
comment on column integration.price_sources.last_updated is
    'When the source last reported this price; at most 5 minutes ahead of the server clock (chk_last_updated_past).';
comment on column products.inventory.shelf_life_days is
    'Auto-calculated: whole days from purchase_date to the sale, or to the row''s last write while unsold; NULL without a purchase date.';
comment on column products.inventory.roi_percentage is
    'Auto-calculated: (net proceeds - purchase_price) / purchase_price * 100 once sold (net proceeds = sale_price - platform_fee - shipping_cost); NULL until then or without a purchase price.';
comment on column products.inventory.profit_per_shelf_day is
    'Auto-calculated: (net proceeds - purchase_price) / max(shelf_life_days, 1) once sold; NULL until then.';

comment on function core.update_updated_at_column() is
    'Trigger function: sets updated_at to now() on every update (triggers update_<table>_updated_at).';
comment on function products.inventory_analytics(uuid, timestamptz, numeric) is
    'Shelf life, ROI and profit per shelf day of an inventory item, from its purchase and its sale (the earliest transaction not cancelled, canceled, refunded or returned).';
comment on function products.calculate_inventory_analytics() is
    'Trigger function: fills an inventory row''s analytics on every insert and update.';
comment on function products.refresh_inventory_analytics_after_sale() is
    'Trigger function: recomputes the analytics of the inventory items a transactions row concerns when it is recorded, changed or removed.';
