#!/usr/bin/env bash
# Migration 2 (document_promises) on a loaded database, against the bare heavy work.
#
# On one embedded server (fsync on): a database at migration 1 is loaded with 1,000,000
# integration.price_sources rows (realistic json metadata) and 100,000 products.inventory rows
# (with 20,000 products, 40 sizes, 50 suppliers, 40,000 sales), vacuumed and analyzed, and
# copied (create database ... template ...). Then, RUNS times (default 1), each on its own copy:
#   (a) soleflip db migrate --to 2           (migration 2, the whole file)
#   (b) psql -1 -f of the baseline script:   the same json -> jsonb alter tables and the same
#       new indexes (18 foreign-key btrees, 3 GIN), with the view that blocks the type change
#       dropped and recreated, and nothing else.
# Prints both times and a/b.
. "$(dirname "$0")/common.sh"
RUNS="${RUNS:-1}"
PRICE_ROWS="${PRICE_ROWS:-1000000}"
INVENTORY_ROWS="${INVENTORY_ROWS:-100000}"

home="$WORK/server"; mkdir -p "$home"
"$SOLEFLIP" --home "$home" pg start >/dev/null
url_of() { "$SOLEFLIP" --home "$home" pg url | sed "s|/soleflip?|/$1?|"; }
admin="$(url_of postgres)"
sql() { psql -X -q -v ON_ERROR_STOP=1 "$@" >/dev/null; }

sql "$admin" -c "create database m2_source"
"$SOLEFLIP" --database-url "$(url_of m2_source)" db migrate --to 1 >/dev/null

t0=$(now_ms)
sql -1 -f - "$(url_of m2_source)" -v price_rows="$PRICE_ROWS" -v inventory_rows="$INVENTORY_ROWS" <<'SQL'
-- numbered helpers, so generated rows can pick "the n-th product" with a join
create temp table tp (n int primary key, id uuid not null);
create temp table tz (n int primary key, id uuid not null);
create temp table tsup (n int primary key, id uuid not null);
create temp table tplat (n int primary key, id uuid not null);

insert into products.products
    (sku, brand_id, category_id, name, retail_price, style_code, ean, enrichment_data,
     last_enriched_at)
select 'SKU-' || g,
       (select id from core.brands order by slug offset g % 10 limit 1),
       (select id from core.categories where slug = 'sneakers'),
       'Runner ' || g,
       80 + g % 150,
       'DZ' || lpad((g % 9999)::text, 4, '0') || '-' || lpad((g % 999)::text, 3, '0'),
       lpad(g::text, 13, '0'),
       case when g % 4 <> 0 then jsonb_build_object(
           'stockx', jsonb_build_object('productId', md5('p' || g)::uuid, 'urlKey', 'runner-' || g,
                                        'retailPrice', 80 + g % 150),
           'colorway', (array['Black/White', 'Panda', 'Sail', 'Triple White'])[1 + g % 4],
           'release_year', 2015 + g % 10)
       end,
       now() - (g % 300) * interval '1 day'
from generate_series(1, 20000) g;
insert into tp select row_number() over (order by sku), id from products.products;

insert into products.sizes (category_id, value, region, standardized_value)
select (select id from core.categories where slug = 'sneakers'), (36 + g * 0.5)::text, 'EU',
       36 + g * 0.5
from generate_series(0, 39) g;
insert into tz select row_number() over (order by standardized_value), id from products.sizes;

insert into core.suppliers (name, slug, supplier_type, status, country)
select 'Supplier ' || g, 'supplier-' || g, 'retailer', 'active', 'DE'
from generate_series(1, 50) g;
insert into tsup select row_number() over (order by slug), id from core.suppliers;
insert into tplat select row_number() over (order by slug), id from core.platforms;

-- a tenth without size, a third with a supplier, a twentieth never stamped
insert into integration.price_sources
    (product_id, size_id, source_type, source_product_id, source_name, price_type, price_cents,
     stock_quantity, in_stock, supplier_id, source_url, metadata, last_updated)
select p.id,
       case when g % 10 <> 0 then z.id end,
       (array['stockx', 'awin', 'ebay', 'goat', 'klekt', 'restocks', 'stockxapi'])[1 + g % 7]
           ::integration.source_type_enum,
       'sp-' || g,
       (array['StockX', 'Awin', 'eBay', 'GOAT', 'Klekt', 'Restocks', 'StockX API'])[1 + g % 7],
       (case when g % 3 = 0 then 'retail' else 'resale' end)::integration.price_type_enum,
       5000 + (g::bigint * 7919 % 40000)::integer,
       g % 12,
       g % 5 <> 0,
       case when g % 3 = 0 then s.id end,
       'https://example.com/p/' || g,
       json_build_object(
           'variant_id', md5('v' || g)::uuid,
           'style_id', 'DZ' || lpad((g % 9999)::text, 4, '0'),
           'merchant', json_build_object('id', g % 500, 'name', 'Merchant ' || g % 500),
           'currency', 'EUR',
           'market', json_build_object('lowest_ask', 100 + g % 300, 'highest_bid', 90 + g % 250,
                                       'sales_last_72h', g % 37),
           'sizes', json_build_array('EU ' || (36 + (g % 24) * 0.5), 'US ' || (4 + (g % 24) * 0.5)),
           'fetched_at', to_char(now() - (g % 1000) * interval '1 minute',
                                 'YYYY-MM-DD"T"HH24:MI:SS"Z"')),
       case when g % 20 <> 0 then now() - (g % 100000) * interval '1 minute' end
from generate_series(1, :price_rows) g
join tp p on p.n = 1 + g % 20000
join tz z on z.n = 1 + (g / 20000) % 40
join tsup s on s.n = 1 + g % 50;

insert into products.inventory
    (product_id, size_id, supplier_id, quantity, purchase_price, purchase_date, status,
     detailed_status, location, external_ids)
select p.id, z.id, s.id, 1, 60 + g % 200, now() - (g % 700) * interval '1 day',
       case when g % 5 < 2 then 'sold' else 'in_stock' end,
       (case when g % 5 < 2 then 'sale_completed' else 'available' end)::products.inventory_status,
       'shelf-' || g % 40,
       jsonb_build_object('stockx_listing_id', md5('l' || g)::uuid,
                          'stockx_product_id', md5('p' || g % 20000)::uuid,
                          'created_from_sync', g % 2 = 0)
from generate_series(1, :inventory_rows) g
join tp p on p.n = 1 + g % 20000
join tz z on z.n = 1 + g % 40
join tsup s on s.n = 1 + g % 50;

-- two in five items sold (one in fifty of those sales cancelled)
insert into transactions.transactions
    (inventory_id, platform_id, transaction_date, sale_price, platform_fee, shipping_cost,
     net_profit, status)
select i.id, pl.id, least(i.purchase_date + (row_number() over () % 90) * interval '1 day', now()),
       i.purchase_price + 40, 12, 5, 23,
       case when row_number() over () % 50 = 0 then 'cancelled' else 'completed' end
from products.inventory i
join tplat pl on pl.n = 1 + (extract(epoch from i.purchase_date)::bigint % 8)
where i.status = 'sold';
SQL
sql "$(url_of m2_source)" -c "vacuum analyze" -c "checkpoint"
t1=$(now_ms)
echo "loaded $PRICE_ROWS price_sources and $INVENTORY_ROWS inventory rows in $((t1 - t0)) ms"

# The baseline: only the unavoidable heavy work of the migration, in plain SQL.
cat >"$WORK/baseline.sql" <<'SQL'
create temp table latest_prices_def as
    select pg_get_viewdef('integration.latest_prices'::regclass) as def;
drop view integration.latest_prices;
alter table integration.price_sources alter column metadata type jsonb;
alter table integration.awin_products alter column alternate_images type jsonb;
alter table integration.awin_enrichment_jobs alter column results_summary type jsonb;
alter table pricing.price_history alter column metadata type jsonb;
alter table pricing.price_rules
    alter column condition_multipliers type jsonb,
    alter column seasonal_adjustments type jsonb;
alter table analytics.demand_patterns alter column pattern_metadata type jsonb;
alter table analytics.sales_forecasts alter column feature_importance type jsonb;
do $$
begin
    execute format('create view integration.latest_prices as %s',
                   (select rtrim(def, '; ' || chr(10)) from latest_prices_def));
end;
$$;
create index idx_demand_patterns_category_id on analytics.demand_patterns (category_id);
create index idx_pricing_kpis_category_id on analytics.pricing_kpis (category_id);
create index idx_pricing_kpis_platform_id on analytics.pricing_kpis (platform_id);
create index idx_pricing_kpis_product_id on analytics.pricing_kpis (product_id);
create index idx_sales_forecasts_category_id on analytics.sales_forecasts (category_id);
create index idx_sales_forecasts_platform_id on analytics.sales_forecasts (platform_id);
create index idx_account_purchase_history_product_id on core.account_purchase_history (product_id);
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
create index idx_price_sources_metadata_gin
    on integration.price_sources using gin (metadata jsonb_path_ops);
create index idx_inventory_external_ids_gin
    on products.inventory using gin (external_ids jsonb_path_ops);
create index idx_products_enrichment_data_gin
    on products.products using gin (enrichment_data jsonb_ops);
SQL

declare -a mig base
for i in $(seq 1 "$RUNS"); do
    sql "$admin" -c "create database m2_mig_$i template m2_source" \
                 -c "create database m2_base_$i template m2_source" -c "checkpoint"
    t0=$(now_ms); "$SOLEFLIP" --database-url "$(url_of "m2_mig_$i")" db migrate --to 2 >/dev/null; t1=$(now_ms)
    mig+=($((t1 - t0)))
    sql "$admin" -c "checkpoint"
    t0=$(now_ms); sql -1 -f "$WORK/baseline.sql" "$(url_of "m2_base_$i")"; t1=$(now_ms)
    base+=($((t1 - t0)))
    version=$(psql -X -At "$(url_of "m2_mig_$i")" -c "select max(version) from public.soleflip_migrations")
    [ "$version" = 2 ] || { echo "m2_mig_$i is at version $version, not 2" >&2; exit 1; }
    sql "$admin" -c "drop database m2_mig_$i" -c "drop database m2_base_$i"
done
"$SOLEFLIP" --home "$home" pg stop >/dev/null

a=$(median "${mig[@]}"); b=$(median "${base[@]}")
echo "PostgreSQL binaries: $BINDIR; $PRICE_ROWS price_sources, $INVENTORY_ROWS inventory rows; times in ms"
echo "(a) soleflip db migrate --to 2            : median $a  (runs: ${mig[*]})"
echo "(b) psql -1 -f baseline (alter + indexes)  : median $b  (runs: ${base[*]})"
echo "    ratio a/b                              : $(ratio "$a" "$b")"
